package dev.runmeter.config;

import java.net.URI;
import java.time.Duration;
import java.time.ZoneId;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * runmeter's settings. infra/template.yaml passes the same numbers to the state machine and to every function,
 * so the time box the state machine enforces and the one the billing rules assume cannot drift apart.
 */
@ConfigMapping(prefix = "runmeter")
public interface RunmeterConfig {

    Runs runs();

    Billing billing();

    Sweep sweep();

    StepFunctions stepFunctions();

    interface Runs {
        /** The time box: the state machine's task timeout, and the longest a run can ever bill. */
        @WithDefault("PT2H")
        Duration maxDuration();

        /** The state machine's HeartbeatSeconds. */
        @WithDefault("PT10M")
        Duration heartbeatTimeout();
    }

    interface Billing {
        /** The most that one still-running run adds to usage. */
        @WithDefault("PT30M")
        Duration activeRunCap();

        /** The zone whose calendar months are billing months. */
        @WithDefault("UTC")
        ZoneId zone();

        /** The plan of a user who has no accounts row. */
        @WithDefault("free")
        String defaultPlan();
    }

    interface Sweep {
        /** A running run is overdue once older than max-duration + grace. */
        @WithDefault("PT15M")
        Duration grace();

        /** Overdue runs claimed and settled per transaction. */
        @WithDefault("100")
        int batchSize();

        /**
         * DescribeExecution calls in flight at once. Step Functions refills its DescribeExecution quota at a few
         * dozen calls a second; what it throttles is deferred to the next sweep.
         */
        @WithDefault("8")
        int describeConcurrency();

        /** The longest one sweep keeps starting new batches; keep it well inside the function's timeout. */
        @WithDefault("PT4M")
        Duration timeBudget();

        /** How often the local main job sweeps (dev mode only; in AWS an EventBridge schedule invokes it). */
        @WithDefault("1m")
        String localEvery();
    }

    interface StepFunctions {
        /** The agent-run state machine that the runs and sweep functions drive. */
        Optional<String> stateMachineArn();

        /** A Step Functions endpoint other than AWS's (a local or fake one). */
        Optional<URI> endpointOverride();

        /** The longest one attempt of a call may take; the SDK retries throttling and 5xx within the call timeout. */
        @WithDefault("PT3S")
        Duration attemptTimeout();

        /** The longest a call may take with its retries, well inside the function's own timeout. */
        @WithDefault("PT10S")
        Duration callTimeout();
    }
}

package dev.runmeter.runs;

import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.runmeter.config.RunmeterConfig;
import io.quarkus.arc.profile.UnlessBuildProfile;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.SfnClientBuilder;
import software.amazon.awssdk.services.sfn.model.DescribeExecutionResponse;
import software.amazon.awssdk.services.sfn.model.ExecutionDoesNotExistException;
import software.amazon.awssdk.services.sfn.model.InvalidArnException;

/**
 * Runs agent runs as executions of the agent-run state machine, whose task timeout is the time box. The client is
 * built on first use, so functions that never call Step Functions (usage, run-finalizer) pay nothing for it.
 */
@ApplicationScoped
@UnlessBuildProfile("dev")
public class StepFunctionsOrchestrator implements Orchestrator {

    private static final Logger LOG = Logger.getLogger(StepFunctionsOrchestrator.class);

    private final RunmeterConfig.StepFunctions config;
    private final SfnClient client;

    public StepFunctionsOrchestrator(RunmeterConfig config) {
        this.config = config.stepFunctions();
        SfnClientBuilder builder = SfnClient.builder()
                .httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(c -> c
                        .apiCallAttemptTimeout(this.config.attemptTimeout())
                        .apiCallTimeout(this.config.callTimeout()));
        this.config.endpointOverride().ifPresent(builder::endpointOverride);
        this.client = builder.build();
    }

    @Override
    public String start(AgentRun run, String executionInput) {
        String stateMachineArn = stateMachineArn();
        try {
            return client.startExecution(request -> request
                    .stateMachineArn(stateMachineArn)
                    .name(run.id().toString())
                    .input(executionInput))
                    .executionArn();
        } catch (SdkException e) {
            throw new UnavailableException("StartExecution failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void stop(AgentRun run, String cause) {
        String executionArn = executionArnOf(run);
        try {
            client.stopExecution(request -> request.executionArn(executionArn).error("runmeter.Stopped").cause(cause));
        } catch (ExecutionDoesNotExistException e) {
            LOG.infof("Execution %s no longer exists; nothing to stop", executionArn);
        } catch (SdkException e) {
            throw new UnavailableException("StopExecution failed: " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<Execution> describe(AgentRun run) {
        try {
            DescribeExecutionResponse execution = client.describeExecution(r -> r.executionArn(executionArnOf(run)));
            return Optional.of(new Execution(execution.statusAsString(), execution.stopDate(), execution.error(),
                    execution.cause()));
        } catch (ExecutionDoesNotExistException | InvalidArnException e) {
            return Optional.empty();
        } catch (SdkException e) {
            throw new UnavailableException("DescribeExecution failed: " + e.getMessage(), e);
        }
    }

    /**
     * The run's execution ARN. A run records it only after StartExecution answered; until then it follows from the
     * state machine's ARN and the execution's name, which is the run id.
     */
    String executionArnOf(AgentRun run) {
        if (run.executionArn() != null) {
            return run.executionArn();
        }
        return stateMachineArn().replaceFirst(":stateMachine:", ":execution:") + ":" + run.id();
    }

    private String stateMachineArn() {
        return config.stateMachineArn().orElseThrow(() -> new UnavailableException(
                "runmeter.step-functions.state-machine-arn is not configured", null));
    }
}

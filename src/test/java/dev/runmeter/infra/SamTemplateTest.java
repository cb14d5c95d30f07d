package dev.runmeter.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

import dev.runmeter.config.RunmeterConfig;

/**
 * The cross-references of infra/template.yaml that a deploy would only reveal in production: the time box reaches
 * the state machine and every function, each route and the schedule reach the right handler, each role grants
 * only what its function uses.
 */
class SamTemplateTest {

    /** The handlers the production build can run, by name, read from the compiled classes. */
    private static final Map<String, Class<?>> HANDLERS = CompiledCode.deployedHandlers();

    /**
     * Set by the Lambda custom runtime, not by Quarkus config: Quarkus's native Lambda guide asks for it on
     * {@code provided} runtimes.
     */
    private static final Set<String> RUNTIME_VARIABLES = Set.of("DISABLE_SIGNAL_HANDLERS");

    private static final String EXECUTIONS =
            "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:${AgentRunStateMachine.Name}:*";

    private final SamTemplate template = SamTemplate.load();

    @Test
    void theTimeBoxDefaultsAreTheApplicationsSettings() throws IOException {
        Properties application = applicationProperties();
        assertEquals(Duration.parse(application.getProperty("runmeter.runs.max-duration")),
                Duration.ofSeconds(Long.parseLong(template.parameterDefault("MaxDurationSeconds"))));
        assertEquals(Duration.parse(application.getProperty("runmeter.runs.heartbeat-timeout")),
                Duration.ofSeconds(Long.parseLong(template.parameterDefault("HeartbeatSeconds"))));
        assertEquals(Duration.ofHours(2), Duration.ofSeconds(Long.parseLong(template.parameterDefault("MaxDurationSeconds"))));
        assertEquals(Duration.ofMinutes(10), Duration.ofSeconds(Long.parseLong(template.parameterDefault("HeartbeatSeconds"))));
    }

    @Test
    void theTimeBoxParametersFeedTheDefinition() {
        Map<String, Object> substitutions = SamTemplate.map(
                template.properties(AgentRunDefinition.stateMachineId(template)).get("DefinitionSubstitutions"));
        assertEquals(Map.of("Ref", "MaxDurationSeconds"), substitutions.get("MaxDurationSeconds"));
        assertEquals(Map.of("Ref", "HeartbeatSeconds"), substitutions.get("HeartbeatSeconds"));
        assertEquals(Map.of("Ref", "ExecutionTimeoutSeconds"), substitutions.get("ExecutionTimeoutSeconds"));
        assertEquals(Map.of("Fn::GetAtt", List.of("RunFinalizerFunction", "Arn")), substitutions.get("RunFinalizerFunctionArn"));
        assertEquals(Map.of("Ref", "AgentWorkQueue"), substitutions.get("AgentWorkerQueueUrl"));
    }

    @Test
    void theTimeBoxParametersReachEveryFunctionAsIsoDurations() throws IOException {
        Properties application = applicationProperties();
        for (String function : template.functions()) {
            Map<String, Object> environment = template.environment(function);
            assertTimeBoxSetting(environment, "RUNMETER_RUNS_MAX_DURATION", "MaxDurationSeconds",
                    application.getProperty("runmeter.runs.max-duration"), function);
            assertTimeBoxSetting(environment, "RUNMETER_RUNS_HEARTBEAT_TIMEOUT", "HeartbeatSeconds",
                    application.getProperty("runmeter.runs.heartbeat-timeout"), function);
        }
    }

    @Test
    void everyFunctionRunsTheOneNativeBinaryWithAHandlerThatExistsInTheCode() {
        Set<String> served = new TreeSet<>();
        for (String function : template.functions()) {
            Map<String, Object> properties = template.functionProperties(function);
            assertEquals("provided.al2023", properties.get("Runtime"), function);
            assertEquals("not.used.in.provided.runtime", properties.get("Handler"), function);
            assertEquals("../target/function.zip", properties.get("CodeUri"), function);
            assertEquals(List.of(Map.of("Ref", "Architecture")), properties.get("Architectures"), function);
            assertTrue(properties.get("MemorySize") instanceof Integer && properties.get("Timeout") instanceof Integer, function);
            assertEquals("true", template.environment(function).get("DISABLE_SIGNAL_HANDLERS"), function);
            assertTrue(HANDLERS.containsKey(template.handler(function)),
                    function + " runs " + template.handler(function) + ", but the code has only " + HANDLERS.keySet());
            served.add(template.handler(function));
        }
        assertEquals(HANDLERS.keySet(), served, "every handler of the production build has a function");
        assertEquals("x86_64", template.parameterDefault("Architecture"));
        assertEquals(List.of("x86_64", "arm64"), template.parameter("Architecture").get("AllowedValues"));
    }

    @Test
    void theCodeHasTheContractsHandlers() {
        // Contract section 1; the template is checked against the code, and the code against the contract here.
        assertEquals(Set.of("usage", "runs", "run-finalizer", "sweep"), HANDLERS.keySet());
    }

    @Test
    void eachFunctionsRoutesAreExactlyTheRoutesItsHandlerServes() {
        Set<String> routedAnywhere = new TreeSet<>();
        for (String function : template.functions()) {
            Set<String> routed = new TreeSet<>();
            for (Map<String, Object> event : events(function, "HttpApi")) {
                Map<String, Object> properties = SamTemplate.map(event.get("Properties"));
                assertEquals(Map.of("Ref", "HttpApi"), properties.get("ApiId"), function);
                String route = properties.get("Method") + " " + properties.get("Path");
                assertTrue(routed.add(route), function + " routes " + route + " twice");
                assertTrue(routedAnywhere.add(route), "route " + route + " goes to two functions");
            }
            assertEquals(CompiledCode.routes(HANDLERS.get(template.handler(function))), routed,
                    function + " (" + template.handler(function) + ")");
        }
        assertFalse(routedAnywhere.isEmpty());
    }

    @Test
    void everyRunmeterVariableOfTheTemplateIsASettingOfRunmeterConfig() {
        Set<String> settings = CompiledCode.environmentVariablesOf(RunmeterConfig.class);
        for (String function : template.functions()) {
            for (String variable : template.environment(function).keySet()) {
                if (variable.startsWith("RUNMETER_")) {
                    assertTrue(settings.contains(variable), function + ": " + variable + " is none of " + settings);
                } else {
                    assertTrue(variable.startsWith("QUARKUS_") || RUNTIME_VARIABLES.contains(variable),
                            function + ": " + variable + " is neither runmeter's nor Quarkus's setting");
                }
            }
        }
    }

    @Test
    void theHttpApiChecksJwtsFromTheConfiguredIssuerAndLogsAccess() {
        Map<String, Object> api = template.properties("HttpApi");
        Map<String, Object> auth = SamTemplate.map(api.get("Auth"));
        Map<String, Object> authorizer = SamTemplate.map(SamTemplate.map(auth.get("Authorizers")).get(auth.get("DefaultAuthorizer")));
        Map<String, Object> jwt = SamTemplate.map(authorizer.get("JwtConfiguration"));
        assertEquals(Map.of("Ref", "JwtIssuer"), jwt.get("issuer"));
        assertEquals(Map.of("Ref", "JwtAudience"), jwt.get("audience"));
        assertEquals("$request.header.Authorization", authorizer.get("IdentitySource"));
        assertLogGroup(SamTemplate.map(api.get("AccessLogSettings")).get("DestinationArn"), "HttpApi access logs");
    }

    @Test
    void theScheduleTargetsTheSweep() {
        List<String> scheduled = new ArrayList<>();
        for (String function : template.functions()) {
            for (Map<String, Object> event : events(function, "Schedule")) {
                scheduled.add(function);
                assertEquals(Map.of("Ref", "SweepSchedule"), SamTemplate.map(event.get("Properties")).get("Schedule"));
            }
            assertTrue(events(function, "ScheduleV2").isEmpty(), "Scheduler would not send a Scheduled Event");
        }
        assertEquals(List.of("SweepFunction"), scheduled);
        assertEquals("sweep", template.handler("SweepFunction"));
        assertEquals("rate(5 minutes)", template.parameterDefault("SweepSchedule"));
    }

    @Test
    void theDatabaseComesFromParametersAndSecretsManager() {
        for (String function : template.functions()) {
            Map<String, Object> environment = template.environment(function);
            assertEquals(Map.of("Ref", "DatabaseJdbcUrl"), environment.get("QUARKUS_DATASOURCE_JDBC_URL"), function);
            assertEquals(Map.of("Fn::Sub", "{{resolve:secretsmanager:${DatabaseSecretArn}:SecretString:username}}"),
                    environment.get("QUARKUS_DATASOURCE_USERNAME"), function);
            assertEquals(Map.of("Fn::Sub", "{{resolve:secretsmanager:${DatabaseSecretArn}:SecretString:password}}"),
                    environment.get("QUARKUS_DATASOURCE_PASSWORD"), function);
        }
    }

    @Test
    void onlyTheUnscheduledMigrationFunctionMigratesAtStart() {
        List<String> migrating = new ArrayList<>();
        for (String function : template.functions()) {
            Object migrate = template.environment(function).get("QUARKUS_FLYWAY_MIGRATE_AT_START");
            assertTrue("false".equals(migrate) || "true".equals(migrate), function);
            if ("true".equals(migrate)) {
                migrating.add(function);
                assertEquals(null, template.functionProperties(function).get("Events"), "a migration is invoked by hand");
            }
        }
        assertEquals(List.of("MigrateFunction"), migrating);
        assertTrue(template.outputs().containsKey("MigrateFunctionName"));
    }

    @Test
    void onlyTheRunsAndSweepHandlersKnowTheStateMachine() {
        for (String function : template.functions()) {
            Object arn = template.environment(function).get("RUNMETER_STEP_FUNCTIONS_STATE_MACHINE_ARN");
            if (Set.of("runs", "sweep").contains(template.handler(function))) {
                assertEquals(Map.of("Ref", "AgentRunStateMachine"), arn, function);
            } else {
                assertEquals(null, arn, function);
            }
        }
    }

    @Test
    void eachFunctionsPoliciesNameOnlyWhatItUses() {
        Map<String, Map<String, Set<String>>> expected = Map.of(
                "UsageFunction", Map.of(),
                "RunFinalizerFunction", Map.of(),
                "MigrateFunction", Map.of(),
                "RunsFunction", Map.of(
                        "states:StartExecution", Set.of("Ref AgentRunStateMachine"),
                        "states:StopExecution", Set.of(EXECUTIONS),
                        "states:DescribeExecution", Set.of(EXECUTIONS)),
                "SweepFunction", Map.of(
                        "states:DescribeExecution", Set.of(EXECUTIONS),
                        "states:StopExecution", Set.of(EXECUTIONS)));
        assertEquals(new TreeSet<>(expected.keySet()), new TreeSet<>(template.functions()));
        for (String function : template.functions()) {
            assertEquals(expected.get(function), grants(template.properties(function)), function);
            assertEquals(null, template.functionProperties(function).get("Role"), function + " uses its own role");
        }
    }

    @Test
    void theStateMachineMaySendToTheQueueAndInvokeOnlyTheFinalizer() {
        Map<String, Set<String>> grants = grants(template.properties(AgentRunDefinition.stateMachineId(template)));
        assertEquals(Set.of("GetAtt AgentWorkQueue.Arn"), grants.remove("sqs:SendMessage"));
        assertEquals(Set.of("GetAtt RunFinalizerFunction.Arn"), grants.remove("lambda:InvokeFunction"));
        // What is left is Step Functions' log delivery, whose actions take no resource ARN.
        grants.forEach((action, resources) -> {
            assertTrue(action.startsWith("logs:") && (action.contains("LogDeliver") || action.contains("ResourcePolic")
                    || action.equals("logs:DescribeLogGroups")), action);
            assertEquals(Set.of("*"), resources, action);
        });
    }

    @Test
    void theWorkerQueueHasADeadLetterQueue() {
        Map<String, Object> redrive = SamTemplate.map(template.properties("AgentWorkQueue").get("RedrivePolicy"));
        Object deadLetter = SamTemplate.map(redrive.get("deadLetterTargetArn")).get("Fn::GetAtt");
        assertEquals("AWS::SQS::Queue", template.resource((String) SamTemplate.list(deadLetter).get(0)).get("Type"));
        assertTrue(((Integer) redrive.get("maxReceiveCount")) > 1);
    }

    @Test
    void everyLogGroupHasARetentionAndEveryFunctionAndTheStateMachineLogToOne() {
        for (String logGroup : template.resourcesOfType("AWS::Logs::LogGroup")) {
            assertEquals(Map.of("Ref", "LogRetentionDays"), template.properties(logGroup).get("RetentionInDays"), logGroup);
        }
        for (String function : template.functions()) {
            Object logGroup = SamTemplate.map(template.functionProperties(function).get("LoggingConfig")).get("LogGroup");
            assertEquals("AWS::Logs::LogGroup", template.resource((String) SamTemplate.map(logGroup).get("Ref")).get("Type"), function);
        }
        Map<String, Object> logging = SamTemplate.map(template.properties(AgentRunDefinition.stateMachineId(template)).get("Logging"));
        Map<String, Object> destination = SamTemplate.map(SamTemplate.list(logging.get("Destinations")).get(0));
        assertLogGroup(SamTemplate.map(destination.get("CloudWatchLogsLogGroup")).get("LogGroupArn"), "state machine logs");
    }

    @Test
    void alarmsWatchStuckRunsTimeoutsLongRunsFinalizerErrorsAndFailedExecutions() {
        Set<String> watched = new TreeSet<>();
        for (String alarm : template.resourcesOfType("AWS::CloudWatch::Alarm")) {
            Map<String, Object> properties = template.properties(alarm);
            Map<String, Object> dimensions = new TreeMap<>();
            if (properties.get("Dimensions") != null) {
                SamTemplate.list(properties.get("Dimensions")).forEach(dimension -> dimensions.put(
                        (String) SamTemplate.map(dimension).get("Name"), SamTemplate.map(dimension).get("Value")));
            }
            watched.add(properties.get("Namespace") + " " + properties.get("MetricName") + " " + dimensions);
        }
        assertTrue(watched.containsAll(Set.of(
                "runmeter StuckRunsFound {}",
                "runmeter RunsFinished {Outcome=timeout}",
                "runmeter RunningOverOneHour {}",
                "AWS/Lambda Errors {FunctionName={Ref=RunFinalizerFunction}}",
                "AWS/States ExecutionsTimedOut {StateMachineArn={Ref=AgentRunStateMachine}}",
                "AWS/States ExecutionsFailed {StateMachineArn={Ref=AgentRunStateMachine}}")), watched.toString());
    }

    @Test
    void outputsTheApiUrlTheQueueUrlAndTheStateMachineArn() {
        Map<String, Object> outputs = template.outputs();
        assertTrue(String.valueOf(SamTemplate.map(outputs.get("ApiUrl")).get("Value")).contains("${HttpApi}.execute-api."));
        assertEquals(Map.of("Ref", "AgentWorkQueue"), SamTemplate.map(outputs.get("AgentWorkQueueUrl")).get("Value"));
        assertEquals(Map.of("Ref", "AgentRunStateMachine"), SamTemplate.map(outputs.get("StateMachineArn")).get("Value"));
    }

    private void assertTimeBoxSetting(Map<String, Object> environment, String variable, String parameter,
            String applicationDefault, String function) {
        Object value = environment.get(variable);
        assertNotNull(value, function + " has no " + variable);
        assertEquals(Set.of(parameter), SamTemplate.parametersReadBy(value), function + " " + variable);
        assertEquals(Duration.parse(applicationDefault), Duration.parse(template.withDefaults(value)), function + " " + variable);
    }

    private void assertLogGroup(Object arn, String what) {
        List<Object> getAtt = SamTemplate.list(SamTemplate.map(arn).get("Fn::GetAtt"));
        assertEquals("AWS::Logs::LogGroup", template.resource((String) getAtt.get(0)).get("Type"), what);
        assertEquals("Arn", getAtt.get(1), what);
    }

    private List<Map<String, Object>> events(String function, String type) {
        Map<String, Object> events = SamTemplate.map(template.functionProperties(function).get("Events"));
        List<Map<String, Object>> ofType = new ArrayList<>();
        if (events != null) {
            events.values().stream().map(SamTemplate::map).filter(event -> type.equals(event.get("Type"))).forEach(ofType::add);
        }
        return ofType;
    }

    /** Action -> resources of every inline statement; managed policies or SAM policy templates are refused. */
    private static Map<String, Set<String>> grants(Map<String, Object> properties) {
        Map<String, Set<String>> grants = new HashMap<>();
        if (properties.get("Policies") == null) {
            return grants;
        }
        for (Object policy : SamTemplate.list(properties.get("Policies"))) {
            Map<String, Object> document = SamTemplate.map(policy);
            assertTrue(document != null && document.containsKey("Statement"), "not an inline policy: " + policy);
            for (Object item : SamTemplate.list(document.get("Statement"))) {
                Map<String, Object> statement = SamTemplate.map(item);
                assertEquals("Allow", statement.get("Effect"));
                for (Object action : SamTemplate.list(statement.get("Action"))) {
                    assertFalse(String.valueOf(action).contains("*"), "wildcard action " + action);
                    for (Object resource : SamTemplate.list(statement.get("Resource"))) {
                        grants.computeIfAbsent((String) action, ignored -> new TreeSet<>()).add(describeResource(resource));
                    }
                }
            }
        }
        return grants;
    }

    private static String describeResource(Object resource) {
        if (resource instanceof String literal) {
            return literal;
        }
        Map<String, Object> intrinsic = SamTemplate.map(resource);
        if (intrinsic.get("Fn::Sub") instanceof String text) {
            return text;
        }
        return AgentRunDefinition.describe(intrinsic);
    }

    private static Properties applicationProperties() throws IOException {
        Properties properties = new Properties();
        try (InputStream in = SamTemplateTest.class.getResourceAsStream("/application.properties")) {
            properties.load(in);
        }
        return properties;
    }
}

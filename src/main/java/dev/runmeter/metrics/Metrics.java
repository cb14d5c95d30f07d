package dev.runmeter.metrics;

import java.time.Clock;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.runmeter.lambda.Events;

/**
 * CloudWatch metrics in embedded metric format: one JSON document per line on standard output, which Lambda sends
 * to CloudWatch Logs, where it becomes a metric the template's alarms watch. Written beside the application log
 * rather than through it, because EMF must be the whole log event, not a field of one.
 */
@ApplicationScoped
public class Metrics {

    public static final String NAMESPACE = "runmeter";

    private final Clock clock;

    public Metrics(Clock clock) {
        this.clock = clock;
    }

    /** A count, optionally with one dimension (e.g. {@code Outcome=failed_timeout}). */
    public void count(String name, long value, Map<String, String> dimensions) {
        ObjectNode document = Events.JSON.createObjectNode();
        ObjectNode aws = document.putObject("_aws");
        aws.put("Timestamp", clock.millis());
        ObjectNode directive = aws.putArray("CloudWatchMetrics").addObject();
        directive.put("Namespace", NAMESPACE);
        ArrayNode dimensionSet = directive.putArray("Dimensions").addArray();
        dimensions.forEach((key, dimension) -> {
            dimensionSet.add(key);
            document.put(key, dimension);
        });
        directive.putArray("Metrics").addObject().put("Name", name).put("Unit", "Count");
        document.put(name, value);
        try {
            System.out.println(Events.JSON.writeValueAsString(document));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public void count(String name, long value) {
        count(name, value, Map.of());
    }
}

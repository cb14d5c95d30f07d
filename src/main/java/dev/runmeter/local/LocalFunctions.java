package dev.runmeter.local;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

import jakarta.inject.Named;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;

import dev.runmeter.lambda.Events;
import dev.runmeter.runs.RunFinalizerHandler;
import dev.runmeter.runs.RunsHandler;
import dev.runmeter.sweep.SweepHandler;
import dev.runmeter.usage.UsageHandler;
import io.quarkus.arc.profile.IfBuildProfile;

/**
 * The local main job's single entry point: dev mode serves one handler on the Lambda mock event server, so this
 * one hands each event to the function AWS would have invoked with it (API Gateway events by path, the state
 * machine's finalizations, sweep requests). Only dev mode has it; in AWS each function runs its own handler.
 */
@Named("local")
@IfBuildProfile("dev")
public class LocalFunctions implements RequestStreamHandler {

    private final UsageHandler usage;
    private final RunsHandler runs;
    private final RunFinalizerHandler finalizer;
    private final SweepHandler sweep;

    public LocalFunctions(UsageHandler usage, RunsHandler runs, RunFinalizerHandler finalizer, SweepHandler sweep) {
        this.usage = usage;
        this.runs = runs;
        this.finalizer = finalizer;
        this.sweep = sweep;
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        byte[] event = input.readAllBytes();
        JsonNode document = Events.readObject(new ByteArrayInputStream(event));
        RequestStreamHandler function;
        if (document.has("requestContext")) {
            String path = document.path("rawPath").asText("");
            function = path.startsWith("/v1/usage") ? usage : runs;
        } else if (document.has("outcome")) {
            function = finalizer;
        } else {
            function = sweep;
        }
        function.handleRequest(new ByteArrayInputStream(event), output, context);
    }
}

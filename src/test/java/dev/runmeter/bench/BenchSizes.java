package dev.runmeter.bench;

/**
 * The benchmark's sizes; each can be overridden on the command line, e.g.
 * {@code ./mvnw -B -Pbench verify -Dbench.runs=100000 -Dbench.overdue=10000} for a quick look.
 */
record BenchSizes(long seed, int runs, int users, int heavyRuns, int[] growthRuns, int typicalReads,
        int heavyReads, int growthReads, int starts, int startThreads, int overshootRounds, int idleSweeps,
        int overdue, int describeFloorCalls) {

    static BenchSizes fromSystemProperties() {
        return new BenchSizes(
                Long.getLong("bench.seed", 20261120L),
                Integer.getInteger("bench.runs", 1_000_000),
                Integer.getInteger("bench.users", 10_000),
                Integer.getInteger("bench.heavyRuns", 50_000),
                parseList(System.getProperty("bench.growthRuns", "1000,10000,100000")),
                Integer.getInteger("bench.typicalReads", 1_000),
                Integer.getInteger("bench.heavyReads", 30),
                Integer.getInteger("bench.growthReads", 10),
                Integer.getInteger("bench.starts", 4_000),
                Integer.getInteger("bench.startThreads", 4),
                Integer.getInteger("bench.overshootRounds", 5),
                Integer.getInteger("bench.idleSweeps", 200),
                Integer.getInteger("bench.overdue", 100_000),
                Integer.getInteger("bench.describeFloorCalls", 10_000));
    }

    private static int[] parseList(String text) {
        return java.util.Arrays.stream(text.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
    }

    @Override
    public String toString() {
        return "seed " + seed + ", " + runs + " runs over " + users + " users, heavy user " + heavyRuns
                + " runs, growth users " + java.util.Arrays.toString(growthRuns) + ", reads " + typicalReads + "/"
                + heavyReads + "/" + growthReads + ", " + starts + " starts on " + startThreads + " threads, "
                + overshootRounds + " overshoot rounds, " + idleSweeps + " idle sweeps, " + overdue
                + " overdue runs, " + describeFloorCalls + " DescribeExecution floor calls";
    }
}

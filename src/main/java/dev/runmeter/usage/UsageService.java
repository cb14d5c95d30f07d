package dev.runmeter.usage;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.runmeter.config.RunmeterConfig;
import dev.runmeter.db.Database;
import dev.runmeter.logging.RunLogContext;
import dev.runmeter.metrics.Metrics;
import dev.runmeter.usage.UsageStore.BilledRun;
import dev.runmeter.usage.UsageStore.MonthTotals;
import dev.runmeter.usage.UsageStore.Position;

/** A user's monthly usage and the runs behind it. */
@ApplicationScoped
public class UsageService {

    private static final Logger LOG = Logger.getLogger(UsageService.class);

    private final Database database;
    private final UsageStore store;
    private final Clock clock;
    private final Metrics metrics;
    private final ZoneId zone;

    public UsageService(Database database, UsageStore store, Clock clock, Metrics metrics, RunmeterConfig config) {
        this.database = database;
        this.store = store;
        this.clock = clock;
        this.metrics = metrics;
        this.zone = config.billing().zone();
    }

    public BillingMonth currentMonth() {
        return BillingMonth.current(clock, zone);
    }

    public BillingMonth month(String text) {
        return BillingMonth.parse(text, zone);
    }

    public UsageDocument usage(String userId, BillingMonth month) {
        MonthTotals totals = database.read(connection -> store.monthTotals(connection, userId, month, clock.instant()));
        for (UUID run : totals.suspiciousRuns()) {
            RunLogContext.run(run, userId);
            LOG.warnf("Skipping agent run %s with suspicious duration", run);
        }
        RunLogContext.leaveRun();
        UsageDocument document = document(userId, month, totals);
        LOG.infof("Calculated %s minutes of usage for user %s for month %s",
                BillingRules.minutes(totals.usedMs() + totals.inFlightMs()), userId, month);
        metrics.count("UsageComputed", 1);
        return document;
    }

    /** The usage document of a month's totals: minutes rounded half-up, remaining never negative. */
    static UsageDocument document(String userId, BillingMonth month, MonthTotals totals) {
        long limitMs = totals.plan().monthlyMinutes() * 60_000L;
        long billedMs = totals.usedMs() + totals.inFlightMs();
        return new UsageDocument(userId, month.toString(), totals.plan().name(), totals.plan().monthlyMinutes(),
                BillingRules.minutes(totals.usedMs()), BillingRules.minutes(totals.inFlightMs()),
                BillingRules.minutes(Math.max(0, limitMs - billedMs)), billedMs >= limitMs,
                totals.usedMs(), totals.inFlightMs(),
                new UsageDocument.RunCounts(totals.runs().running(), totals.runs().completed(),
                        totals.runs().failed(), totals.runs().stopped()));
    }

    /**
     * One page of the month's runs.
     *
     * @param after the last run of the previous page, null for the first page
     */
    public UsageRunsDocument runs(String userId, BillingMonth month, Position after, int limit) {
        Instant now = clock.instant();
        List<BilledRun> page = database.read(connection ->
                store.monthRuns(connection, userId, month, now, after, limit + 1));
        boolean more = page.size() > limit;
        List<UsageRunsDocument.Run> runs = new ArrayList<>();
        for (BilledRun run : more ? page.subList(0, limit) : page) {
            runs.add(new UsageRunsDocument.Run(run.id().toString(), run.status().dbValue(),
                    run.startedAt().toString(), run.completedAt() == null ? null : run.completedAt().toString(),
                    run.failureReason() == null ? null : run.failureReason().dbValue(),
                    run.billedMs(), BillingRules.minutes(run.billedMs())));
        }
        BilledRun last = more ? page.get(limit - 1) : null;
        String next = last == null ? null : Cursor.encode(new Position(last.startedAt(), last.id()));
        return new UsageRunsDocument(month.toString(), runs, next);
    }
}

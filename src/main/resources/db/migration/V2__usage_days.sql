-- A per-user, per-UTC-day roll-up of finished runs, kept by the database itself so that it holds for every writer
-- of agent_runs (runmeter, imports, the previous backend), not only for runmeter's own finalizations.

-- The time box the roll-up was computed with. UsageStore uses the roll-up only when runmeter's configured
-- runmeter.runs.max-duration equals it; changing it rebuilds the roll-up (trigger below).
CREATE TABLE billing_basis (
    single_row      boolean PRIMARY KEY DEFAULT true CHECK (single_row),
    max_duration_ms bigint  NOT NULL CHECK (max_duration_ms > 0)
);
INSERT INTO billing_basis (max_duration_ms) VALUES (7200000);

-- For finished runs only (billing rules 1-2): the milliseconds of each run's billable interval that fall in each
-- UTC day, and the runs started that UTC day by final status. Running runs are read live (rule 3 depends on now).
CREATE TABLE usage_days (
    user_id   text    NOT NULL,
    day       date    NOT NULL,
    used_ms   bigint  NOT NULL,
    completed integer NOT NULL,
    failed    integer NOT NULL,
    stopped   integer NOT NULL,
    PRIMARY KEY (user_id, day)
);

-- One run's contributions to usage_days: its billable interval [s, min(c, s + max)) split at UTC midnights, with
-- the same millisecond truncation as UsageStore's live query, plus one count at the UTC day of started_at.
CREATE FUNCTION usage_day_contributions(started_at timestamptz, completed_at timestamptz, status text,
                                        failure_reason text, max_ms bigint)
RETURNS TABLE (day date, used_ms bigint, completed integer, failed integer, stopped integer)
LANGUAGE sql STABLE AS $$
    WITH t AS (
        SELECT floor(extract(epoch FROM started_at) * 1000)::bigint AS s,
               floor(extract(epoch FROM completed_at) * 1000)::bigint AS c
    ),
    b AS (
        SELECT t.s, t.s - ((t.s % 86400000) + 86400000) % 86400000 AS s_day,
               CASE WHEN status <> 'running' AND (failure_reason IS NULL OR failure_reason NOT IN ('stuck', 'start_failed'))
                         AND t.c >= t.s
                    THEN least(t.c, t.s + max_ms)
               END AS e
        FROM t
    )
    SELECT date '1970-01-01' + (d / 86400000)::integer, least(b.e, d + 86400000) - greatest(b.s, d), 0, 0, 0
    FROM b CROSS JOIN generate_series(b.s_day, b.e - 1, 86400000::bigint) AS d
    WHERE b.e > b.s
    UNION ALL
    SELECT date '1970-01-01' + (b.s_day / 86400000)::integer, 0,
           (status = 'completed')::integer, (status = 'failed')::integer, (status = 'stopped')::integer
    FROM b
    WHERE status <> 'running'
$$;

-- Adds (sign 1) or removes (sign -1) one run's contributions: the trigger's version of usage_day_contributions,
-- in PL/pgSQL so that its statement's plan is cached for the session (a SQL function called from the trigger would be
-- planned again on every row). BillingRulesAgreementTest checks that the two agree.
CREATE FUNCTION usage_days_add(run_user_id text, run_started_at timestamptz, run_completed_at timestamptz,
                               run_status text, run_failure_reason text, sign integer)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    s         bigint := floor(extract(epoch FROM run_started_at) * 1000)::bigint;
    c         bigint := floor(extract(epoch FROM run_completed_at) * 1000)::bigint;
    e         bigint := s;
    day_start bigint := s - ((s % 86400000) + 86400000) % 86400000;
    counted   integer := sign;
BEGIN
    IF (run_failure_reason IS NULL OR run_failure_reason NOT IN ('stuck', 'start_failed')) AND c >= s THEN
        e := least(c, s + (SELECT max_duration_ms FROM billing_basis));
    END IF;
    -- The first day gets the run's count; the interval (at most one time box) may spill into the next days.
    LOOP
        INSERT INTO usage_days AS u (user_id, day, used_ms, completed, failed, stopped)
        VALUES (run_user_id, date '1970-01-01' + (day_start / 86400000)::integer,
                sign * greatest(0, least(e, day_start + 86400000) - greatest(s, day_start)),
                CASE WHEN run_status = 'completed' THEN counted ELSE 0 END,
                CASE WHEN run_status = 'failed' THEN counted ELSE 0 END,
                CASE WHEN run_status = 'stopped' THEN counted ELSE 0 END)
        ON CONFLICT (user_id, day) DO UPDATE SET used_ms = u.used_ms + excluded.used_ms,
                                                 completed = u.completed + excluded.completed,
                                                 failed = u.failed + excluded.failed,
                                                 stopped = u.stopped + excluded.stopped;
        counted := 0;
        day_start := day_start + 86400000;
        EXIT WHEN day_start >= e;
    END LOOP;
END
$$;

CREATE FUNCTION agent_runs_roll_up() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (OLD.user_id, OLD.status, OLD.started_at, OLD.completed_at, OLD.failure_reason)
            IS NOT DISTINCT FROM (NEW.user_id, NEW.status, NEW.started_at, NEW.completed_at, NEW.failure_reason) THEN
        RETURN NULL;
    END IF;
    -- A running run contributes nothing, so starting one (the hot insert) writes no roll-up row.
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status <> 'running' THEN
        PERFORM usage_days_add(OLD.user_id, OLD.started_at, OLD.completed_at, OLD.status, OLD.failure_reason, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status <> 'running' THEN
        PERFORM usage_days_add(NEW.user_id, NEW.started_at, NEW.completed_at, NEW.status, NEW.failure_reason, 1);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER agent_runs_roll_up AFTER INSERT OR UPDATE OR DELETE ON agent_runs
    FOR EACH ROW EXECUTE FUNCTION agent_runs_roll_up();

CREATE FUNCTION agent_runs_truncate_roll_up() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE usage_days;
    RETURN NULL;
END
$$;

CREATE TRIGGER agent_runs_truncate_roll_up AFTER TRUNCATE ON agent_runs
    FOR EACH STATEMENT EXECUTE FUNCTION agent_runs_truncate_roll_up();

-- Recomputes the whole roll-up from agent_runs with the current billing_basis.
CREATE FUNCTION rebuild_usage_days() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE usage_days IN ACCESS EXCLUSIVE MODE;
    DELETE FROM usage_days;
    INSERT INTO usage_days (user_id, day, used_ms, completed, failed, stopped)
    SELECT r.user_id, c.day, sum(c.used_ms), sum(c.completed), sum(c.failed), sum(c.stopped)
    FROM agent_runs r
    CROSS JOIN billing_basis bb
    CROSS JOIN LATERAL usage_day_contributions(r.started_at, r.completed_at, r.status, r.failure_reason,
                                               bb.max_duration_ms) c
    WHERE r.status <> 'running'
    GROUP BY r.user_id, c.day;
END
$$;

CREATE FUNCTION billing_basis_rebuild() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rebuild_usage_days();
    RETURN NULL;
END
$$;

CREATE TRIGGER billing_basis_rebuild AFTER UPDATE ON billing_basis
    FOR EACH STATEMENT EXECUTE FUNCTION billing_basis_rebuild();

-- Suspicious runs (completed before started) are logged on every usage read; this keeps finding them cheap. It
-- covers the columns the rules read so that, like agent_runs_user_started, it needs no heap visit, and being far
-- smaller it is the planner's choice (with agent_runs_user_started the lookup walked the user's whole month).
CREATE INDEX agent_runs_suspicious ON agent_runs (user_id, started_at)
    INCLUDE (id, status, completed_at, failure_reason) WHERE completed_at < started_at;

SELECT rebuild_usage_days();

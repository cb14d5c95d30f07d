-- runmeter's schema. Every billing rule must hold for any row these constraints allow, because other systems
-- (imports, the previous backend) write rows too.

CREATE TABLE plans (
    name                text    PRIMARY KEY,
    monthly_minutes     integer NOT NULL CHECK (monthly_minutes >= 0),
    max_concurrent_runs integer NULL CHECK (max_concurrent_runs IS NULL OR max_concurrent_runs > 0)
);

-- The original product's tiers (minutes per month); null max_concurrent_runs = unlimited.
INSERT INTO plans (name, monthly_minutes, max_concurrent_runs) VALUES
    ('free',           60, NULL),
    ('tier_2_20',     120, NULL),
    ('tier_6_50',     360, NULL),
    ('tier_12_100',   720, NULL),
    ('tier_25_200',  1500, NULL),
    ('tier_50_400',  3000, NULL),
    ('tier_125_800', 7500, NULL),
    ('tier_200_1000', 12000, NULL);

CREATE TABLE accounts (
    user_id text PRIMARY KEY CHECK (length(user_id) BETWEEN 1 AND 256),
    plan    text NOT NULL REFERENCES plans (name)
);

CREATE TABLE agent_runs (
    id              uuid        PRIMARY KEY,
    user_id         text        NOT NULL CHECK (length(user_id) BETWEEN 1 AND 256),
    thread_id       text        NULL,
    status          text        NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'stopped')),
    started_at      timestamptz NOT NULL,
    completed_at    timestamptz NULL,
    failure_reason  text        NULL
        CHECK (failure_reason IN ('error', 'timeout', 'heartbeat_timeout', 'stuck', 'start_failed')),
    error           text        NULL,
    execution_arn   text        NULL,
    idempotency_key text        NULL CHECK (length(idempotency_key) BETWEEN 1 AND 128),
    CONSTRAINT failure_reason_only_on_failed CHECK (failure_reason IS NULL OR status = 'failed'),
    CONSTRAINT idempotency_key_unique_per_user UNIQUE (user_id, idempotency_key)
);

-- Usage of one user's month: an index range scan over the month (plus one time box before it) that needs no
-- heap visit for the columns the billing rules read.
CREATE INDEX agent_runs_user_started ON agent_runs (user_id, started_at, id)
    INCLUDE (status, completed_at, failure_reason);

-- The sweep's probe for overdue runs and the concurrency check: only running rows are indexed.
CREATE INDEX agent_runs_running_started ON agent_runs (started_at, id) WHERE status = 'running';
CREATE INDEX agent_runs_running_user ON agent_runs (user_id) WHERE status = 'running';

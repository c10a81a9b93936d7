namespace ScaiVault.Emulator.Storage;

/// <summary>The emulator's state, in schema <c>scaivault</c> of the <c>--postgres</c> database. Idempotent.</summary>
internal static class StateSchema
{
    public const string Ddl =
        """
        CREATE SCHEMA IF NOT EXISTS scaivault;

        CREATE TABLE IF NOT EXISTS scaivault.signing_keys (
            name            text PRIMARY KEY,
            kid             text NOT NULL,
            private_key_pem text NOT NULL,
            created_at      timestamptz NOT NULL
        );

        CREATE TABLE IF NOT EXISTS scaivault.access_tokens (
            token_hash  bytea PRIMARY KEY,
            identity_id text NOT NULL,
            kind        text NOT NULL,
            scopes      text[] NOT NULL,
            issued_at   timestamptz NOT NULL,
            expires_at  timestamptz NOT NULL
        );

        -- The scopes took ScaiVault's documented names; a token an older emulator issued under the old
        -- names would answer 403 everywhere. Dropped, it answers 401 and its holder exchanges a new one.
        DELETE FROM scaivault.access_tokens
        WHERE scopes && ARRAY['dynamic:generate', 'dynamic:leases', 'dynamic:admin', 'emulator:admin'];

        CREATE TABLE IF NOT EXISTS scaivault.secrets (
            path        text NOT NULL,
            version     integer NOT NULL,
            secret_type text NOT NULL,
            data        jsonb NOT NULL,
            metadata    jsonb NOT NULL,
            created_at  timestamptz NOT NULL,
            expires_at  timestamptz,
            PRIMARY KEY (path, version)
        );

        -- When a secret (any of its versions) was last read through the API: one row per path, so a read
        -- never rewrites version rows.
        CREATE TABLE IF NOT EXISTS scaivault.secret_access (
            path             text PRIMARY KEY,
            last_accessed_at timestamptz NOT NULL
        );

        CREATE TABLE IF NOT EXISTS scaivault.engines (
            name                  text PRIMARY KEY,
            type                  text NOT NULL,
            plugin                text NOT NULL,
            connection_url        text NOT NULL,
            root_credentials_path text NOT NULL,
            default_ttl_seconds   bigint NOT NULL,
            max_ttl_seconds       bigint NOT NULL,
            created_at            timestamptz NOT NULL,
            updated_at            timestamptz NOT NULL
        );

        CREATE TABLE IF NOT EXISTS scaivault.roles (
            engine                text NOT NULL REFERENCES scaivault.engines (name),
            name                  text NOT NULL,
            creation_statements   text[] NOT NULL,
            revocation_statements text[] NOT NULL,
            renew_statements      text[] NOT NULL,
            default_ttl_seconds   bigint NOT NULL,
            max_ttl_seconds       bigint NOT NULL,
            created_at            timestamptz NOT NULL,
            PRIMARY KEY (engine, name)
        );

        CREATE TABLE IF NOT EXISTS scaivault.leases (
            id              text PRIMARY KEY,
            engine          text NOT NULL,
            role            text NOT NULL,
            identity_id     text NOT NULL,
            username        text NOT NULL,
            state           text NOT NULL,
            issued_at       timestamptz NOT NULL,
            expires_at      timestamptz NOT NULL,
            max_expires_at  timestamptz NOT NULL,
            revoked_at      timestamptz,
            final_state     text,
            revoke_attempts integer NOT NULL DEFAULT 0,
            next_revoke_at  timestamptz,
            last_error      text,
            client_ref      text
        );

        -- client_ref came after the first release: state databases of older emulators get it here.
        ALTER TABLE scaivault.leases ADD COLUMN IF NOT EXISTS client_ref text;

        CREATE INDEX IF NOT EXISTS leases_active_by_expiry ON scaivault.leases (expires_at) WHERE state = 'active';
        CREATE INDEX IF NOT EXISTS leases_pending_by_retry ON scaivault.leases (next_revoke_at) WHERE state = 'revoke_pending';
        CREATE INDEX IF NOT EXISTS leases_by_identity ON scaivault.leases (identity_id, issued_at);
        CREATE INDEX IF NOT EXISTS leases_by_client_ref ON scaivault.leases (identity_id, client_ref) WHERE client_ref IS NOT NULL;

        CREATE TABLE IF NOT EXISTS scaivault.subscriptions (
            id            text PRIMARY KEY,
            identity_id   text NOT NULL,
            name          text NOT NULL,
            paths         text[] NOT NULL,
            event_types   text[] NOT NULL,
            delivery_type text NOT NULL,
            created_at    timestamptz NOT NULL
        );

        -- One row per event and subscription it matched. A poll hides the rows it hands out until
        -- visible_at (the redelivery timeout); acked rows stay, with acked_at, for inspection.
        CREATE TABLE IF NOT EXISTS scaivault.subscription_events (
            subscription_id   text NOT NULL REFERENCES scaivault.subscriptions (id) ON DELETE CASCADE,
            event_id          text NOT NULL,
            seq               bigint GENERATED ALWAYS AS IDENTITY,
            event_type        text NOT NULL,
            occurred_at       timestamptz NOT NULL,
            tenant_id         text NOT NULL,
            identity_id       text NOT NULL,
            path              text NOT NULL,
            data              json NOT NULL, -- json, not jsonb: the keys keep the order they were written in
            request_id        text NOT NULL,
            visible_at        timestamptz NOT NULL,
            delivery_count    integer NOT NULL DEFAULT 0,
            last_delivered_at timestamptz,
            acked_at          timestamptz,
            PRIMARY KEY (subscription_id, event_id)
        );

        CREATE INDEX IF NOT EXISTS subscription_events_pending
            ON scaivault.subscription_events (subscription_id, visible_at) WHERE acked_at IS NULL;
        """;
}

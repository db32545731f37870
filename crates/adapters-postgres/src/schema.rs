//! Diesel table definitions, written to match `migrations/` (there is no libpq
//! here to run `diesel print-schema`; the migration test catches drift by
//! querying every table through these definitions).

diesel::table! {
    users (id) {
        id -> Uuid,
        email -> Text,
        name -> Text,
        password_hash -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        email_normalized -> Text,
    }
}

diesel::table! {
    teams (id) {
        id -> Uuid,
        name -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    team_members (team_id, user_id) {
        team_id -> Uuid,
        user_id -> Uuid,
        role -> Text,
        joined_at -> Timestamptz,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Uuid,
        user_id -> Uuid,
        family_id -> Uuid,
        token_hash -> Bytea,
        expires_at -> Timestamptz,
        created_at -> Timestamptz,
        replaced_by -> Nullable<Uuid>,
        revoked_at -> Nullable<Timestamptz>,
        user_agent -> Nullable<Text>,
        ip -> Nullable<Text>,
    }
}

diesel::table! {
    projects (id) {
        id -> Uuid,
        team_id -> Uuid,
        name -> Text,
        description -> Nullable<Text>,
        created_by -> Uuid,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    tasks (id) {
        id -> Uuid,
        project_id -> Uuid,
        title -> Text,
        description -> Nullable<Text>,
        status -> Text,
        priority -> Int2,
        due_at -> Nullable<Timestamptz>,
        assignee_id -> Nullable<Uuid>,
        created_by -> Uuid,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    comments (id) {
        id -> Uuid,
        task_id -> Uuid,
        author_id -> Uuid,
        body -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    activity_logs (id) {
        id -> Uuid,
        project_id -> Uuid,
        actor_id -> Uuid,
        action -> Text,
        entity_type -> Text,
        entity_id -> Uuid,
        changes -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    team_activity_logs (id) {
        id -> Uuid,
        team_id -> Uuid,
        actor_id -> Uuid,
        action -> Text,
        changes -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    idempotency_keys (user_id, key) {
        user_id -> Uuid,
        key -> Text,
        fingerprint -> Text,
        response -> Nullable<Bytea>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    jobs (id) {
        id -> Uuid,
        kind -> Text,
        payload -> Jsonb,
        dedupe_key -> Nullable<Text>,
        status -> Text,
        attempts -> Int4,
        run_at -> Timestamptz,
        locked_by -> Nullable<Text>,
        locked_until -> Nullable<Timestamptz>,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        task_id -> Nullable<Uuid>,
        lease_token -> Nullable<Uuid>,
        team_id -> Nullable<Uuid>,
        target_host -> Nullable<Text>,
    }
}

diesel::table! {
    notifications (id) {
        id -> Uuid,
        user_id -> Uuid,
        kind -> Text,
        task_id -> Nullable<Uuid>,
        message -> Text,
        dedupe_key -> Nullable<Text>,
        created_at -> Timestamptz,
        read_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Uuid,
        team_id -> Uuid,
        url -> Text,
        events -> Array<Text>,
        secret -> Text,
        created_by -> Uuid,
        created_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
        host -> Text,
    }
}

diesel::table! {
    invitations (id) {
        id -> Uuid,
        team_id -> Uuid,
        email -> Text,
        email_normalized -> Text,
        role -> Text,
        token_hash -> Bytea,
        invited_by -> Uuid,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        accepted_at -> Nullable<Timestamptz>,
        accepted_by -> Nullable<Uuid>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    personal_tokens (id) {
        id -> Uuid,
        user_id -> Uuid,
        name -> Text,
        scopes -> Array<Text>,
        prefix -> Text,
        token_hash -> Bytea,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(team_members -> teams (team_id));
diesel::joinable!(personal_tokens -> users (user_id));
diesel::joinable!(invitations -> teams (team_id));
diesel::joinable!(team_members -> users (user_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(projects -> teams (team_id));
diesel::joinable!(tasks -> projects (project_id));
diesel::joinable!(comments -> tasks (task_id));
diesel::joinable!(comments -> users (author_id));
diesel::joinable!(activity_logs -> projects (project_id));
diesel::joinable!(activity_logs -> users (actor_id));
diesel::joinable!(team_activity_logs -> users (actor_id));
diesel::joinable!(notifications -> users (user_id));
diesel::joinable!(webhooks -> teams (team_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    invitations,
    teams,
    team_members,
    refresh_tokens,
    projects,
    tasks,
    comments,
    activity_logs,
    team_activity_logs,
    jobs,
    notifications,
    webhooks,
    personal_tokens,
);

"""The PostgreSQL store's SQL: the idempotent schema and every statement, by name."""

from __future__ import annotations

__all__ = [
    "BUMP_CONVERSATION",
    "DELETE_CONVERSATION",
    "FIND_KEY",
    "FIRST_PAGE",
    "GET_CONVERSATION",
    "INSERT_CONVERSATION",
    "INSERT_KEY",
    "INSERT_TURNS",
    "NEXT_PAGE",
    "NO_LIMIT",
    "RECENT_TURNS",
    "SCHEMA",
]

SCHEMA = """
SELECT pg_advisory_xact_lock(7310581623);
CREATE TABLE IF NOT EXISTS conversations (
    id          uuid PRIMARY KEY,
    user_id     text NOT NULL,
    title       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    turn_count  integer NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS conversations_user_updated_idx
    ON conversations (user_id, updated_at DESC, id DESC);
CREATE TABLE IF NOT EXISTS turns (
    conversation_id  uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq              integer NOT NULL,
    role             text NOT NULL,
    content          text NOT NULL,
    provider         text,
    model            text,
    created_at       timestamptz NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
CREATE INDEX IF NOT EXISTS turns_conversation_created_idx
    ON turns (conversation_id, created_at);
CREATE TABLE IF NOT EXISTS idempotency_keys (
    user_id          text NOT NULL,
    key              text NOT NULL,
    conversation_id  uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    fingerprint      text NOT NULL,
    completion       bytea NOT NULL,
    created_at       timestamptz NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX IF NOT EXISTS idempotency_keys_conversation_idx
    ON idempotency_keys (conversation_id);
"""
"""Idempotent DDL run once per store; ``turns.seq`` is the append order in a conversation;
``idempotency_keys`` holds the reply of each ``Idempotency-Key``, written in the same
transaction as its turns and deleted with its conversation."""

INSERT_CONVERSATION = """
INSERT INTO conversations (id, user_id, title, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
RETURNING id, user_id, title, created_at, updated_at, turn_count
"""
GET_CONVERSATION = """
SELECT id, user_id, title, created_at, updated_at, turn_count FROM conversations
WHERE id = $1 AND user_id = $2
"""
FIRST_PAGE = """
SELECT id, user_id, title, created_at, updated_at, turn_count FROM conversations
WHERE user_id = $1 ORDER BY updated_at DESC, id DESC LIMIT $2
"""
BUMP_CONVERSATION = """
UPDATE conversations SET turn_count = turn_count + $3, updated_at = GREATEST(updated_at, $4)
WHERE id = $1 AND user_id = $2 RETURNING turn_count
"""
INSERT_TURNS = """
INSERT INTO turns (conversation_id, seq, role, content, provider, model, created_at)
SELECT $1, s, r, c, p, m, t
FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[])
    AS u(s, r, c, p, m, t)
"""
RECENT_TURNS = """
SELECT role, content, created_at, provider, model FROM turns
WHERE conversation_id = $1 AND seq < $3 ORDER BY seq DESC LIMIT $2
"""
INSERT_KEY = """
INSERT INTO idempotency_keys (user_id, key, conversation_id, fingerprint, completion, created_at)
VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING 1
"""
FIND_KEY = """
SELECT conversation_id, fingerprint, completion FROM idempotency_keys
WHERE user_id = $1 AND key = $2
"""
NO_LIMIT = 2**31 - 1
DELETE_CONVERSATION = "DELETE FROM conversations WHERE id = $1 AND user_id = $2"
NEXT_PAGE = """
SELECT id, user_id, title, created_at, updated_at, turn_count FROM conversations
WHERE user_id = $1 AND (updated_at, id) < ($2, $3) ORDER BY updated_at DESC, id DESC LIMIT $4
"""

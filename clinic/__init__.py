"""Shared domain: schema, queries and rules every service (dialer, agent, token server) relies on."""

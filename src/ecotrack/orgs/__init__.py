"""Organisations: teams, memberships, invitations, API keys, factor overrides and custom models."""

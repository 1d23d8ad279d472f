"""Mechanisms shared by every service. No domain logic lives here."""

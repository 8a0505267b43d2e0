"""Signing in (EVENTSUI_AUTH) and which configured projects each user may see."""

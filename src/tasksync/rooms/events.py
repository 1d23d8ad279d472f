"""Handlers for the events of other services that the rooms service acts on."""

from tasksync.common.events.handlers import EventHandlers

handlers = EventHandlers("rooms")

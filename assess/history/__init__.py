"""Runs over time: the history store, diffs, schedules, notifications and the run lock."""

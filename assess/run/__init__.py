"""A run: plan → collect → evidence → evaluate → write the results document; rescan, replay and fleet ingest."""

"""Evidence bundles: BagIt bags of a run, signed with the operator's SSH key, verified, imported, merged."""

"""The controls: catalog items and checks (load), the rule grammar, high-risk rules, profiles, the YAML schema."""

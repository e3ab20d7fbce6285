"""The real-time risk engine: state, features, rules, model, decisions, warnings."""

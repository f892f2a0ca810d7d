"""Export: experiment tables and Open Reaction Database records."""

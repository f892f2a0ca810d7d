"""``dbtl bench``: whole simulated campaigns for several strategies and seeds, compared."""

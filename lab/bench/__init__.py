"""`dbtl bench`: closed-loop benchmarks of planner strategies on published tables and simulators."""

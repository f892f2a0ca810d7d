"""Imports every benchmark module so that each registers itself."""

import benchmarks.datastore_scale
import benchmarks.faults
import benchmarks.loop_overhead
import benchmarks.pathway_learn
import benchmarks.planner_explore
import benchmarks.planner_latency
import benchmarks.planner_pareto
import benchmarks.planner_protocol
import benchmarks.planner_tables
import benchmarks.route_proposal
import benchmarks.web_latency  # noqa: F401

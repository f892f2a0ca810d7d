"""Imports every benchmark module so that each registers itself."""

import lab.benchmarks.datastore_scale
import lab.benchmarks.faults
import lab.benchmarks.loop_overhead
import lab.benchmarks.pathway_learn
import lab.benchmarks.planner_explore
import lab.benchmarks.planner_latency
import lab.benchmarks.planner_pareto
import lab.benchmarks.planner_protocol
import lab.benchmarks.planner_tables
import lab.benchmarks.route_proposal
import lab.benchmarks.web_latency  # noqa: F401

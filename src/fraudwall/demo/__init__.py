"""`fraudwall demo`: one simulated world, every stage of the system run on it, one report.

`run_demo` simulates the world, runs the stages (`default_stages`: the world, the engine,
funds), prints the summary and writes `report.html` and `summary.json`. A stage is any
object with a `name` and `run(ctx) -> StageResult`; see `stages`.
"""

from fraudwall.demo.run import default_stages, demo_world, run_demo
from fraudwall.demo.stages import (
    BarChart,
    DemoContext,
    ReportFigure,
    Stage,
    StageResult,
    TableBlock,
    WorldLike,
    WorldStage,
)

__all__ = [
    "BarChart",
    "DemoContext",
    "ReportFigure",
    "Stage",
    "StageResult",
    "TableBlock",
    "WorldLike",
    "WorldStage",
    "default_stages",
    "demo_world",
    "run_demo",
]

"""The demo world: a deterministic synthetic EdTech business written as events."""

from suuupra.demo.generator import DemoWorld, WorldConfig
from suuupra.demo.writer import write_demo_world

__all__ = ["DemoWorld", "WorldConfig", "write_demo_world"]

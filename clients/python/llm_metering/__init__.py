"""Python client of llm-metering: publish delta events, read the global figures.

``MeterProducer`` publishes the wire contract's events to ``metering.deltas``; ``GlobalMeter`` has the seed's
interface, publishes through a ``MeterProducer`` and reads the fleet-wide figures from a running ``serve``.
"""

from llm_metering.producer import MeterProducer, encode_event
from llm_metering.global_meter import GlobalMeter, meter

__all__ = ["MeterProducer", "GlobalMeter", "encode_event", "meter"]

#!/usr/bin/env python3
"""Prints the key tables of scenarios/README.md from the option structs' doc comments.

Usage: python3 scenarios/tools/keys.py > /tmp/keys.md  (from the repository root), then paste
the output under "## Keys". Each table lists a struct's `pub` fields: key, Rust type, and the
field's `///` doc joined into one line.
"""
import re
import sys

TABLES = [
    ("sim/src/scenario/file.rs", "Header", "`[scenario]`"),
    ("sim/src/scenario/general/options.rs", "TopologyOptions", "`[topology]` (workload cluster)"),
    ("sim/src/scenario/general/options.rs", "BrokerGroupOptions", "`[[topology.broker_groups]]`"),
    ("sim/src/scenario/general/options.rs", "TopicOptions", "`[[topics]]`"),
    ("sim/src/scenario/general/options.rs", "ProducerOptions", "`[[producers]]`"),
    ("sim/src/scenario/general/options.rs", "ConsumerGroupOptions", "`[[consumer_groups]]`"),
    ("sim/src/scenario/general/faults.rs", "FaultStep", "`[[faults]]` (workloads rpc-ping-pong and cluster)"),
    ("sim/src/scenario/general/swarm.rs", "SwarmOptions", "`[swarm]` (workload cluster)"),
    ("sim/src/scenario/file.rs", "RpcOptions", "`[rpc]` (workload rpc-ping-pong)"),
    ("sim/src/scenario/namesrv_expiry.rs", "NamesrvExpiryOptions", "`[namesrv_expiry]`"),
    ("sim/src/scenario/namesrv_failover.rs", "NamesrvFailoverOptions", "`[namesrv_failover]`"),
    ("sim/src/scenario/messaging/steady_state.rs", "SteadyStateOptions", "`[steady_state]`"),
    ("sim/src/scenario/messaging/consumer_crash.rs", "ConsumerCrashOptions", "`[consumer_crash]`"),
    ("sim/src/scenario/messaging/broker_death.rs", "BrokerDeathOptions", "`[broker_death]`"),
    ("sim/src/scenario/messaging/namesrv_all_down.rs", "NamesrvAllDownOptions", "`[namesrv_all_down]`"),
    ("sim/src/scenario/messaging/traffic.rs", "TrafficOptions", "`[<workload>.traffic]` (the workload-specific messaging scenarios' producers)"),
]

ENUMS = [
    ("sim/src/scenario/general/faults.rs", "FaultAction", "`[[faults]].action`"),
    ("sim/src/scenario/general/swarm.rs", "SwarmKind", "`[swarm].kinds`"),
]


def kebab(name):
    return re.sub(r"(?<!^)([A-Z])", r"-\1", name).lower()


def struct_fields(text, name):
    body = re.search(r"pub struct " + name + r" \{(.*?)\n\}", text, re.S).group(1)
    doc, fields = [], []
    for line in body.splitlines():
        line = line.strip()
        if line.startswith("///"):
            doc.append(line[3:].strip())
        elif line.startswith("pub "):
            m = re.match(r"pub (\w+): (.+),$", line)
            fields.append((m.group(1), m.group(2), " ".join(doc)))
            doc = []
        elif not line.startswith("#"):
            doc = []
    return fields


def enum_variants(text, name):
    body = re.search(r"pub enum " + name + r" \{(.*?)\n\}", text, re.S).group(1)
    doc, variants = [], []
    for line in body.splitlines():
        line = line.strip()
        if line.startswith("///"):
            doc.append(line[3:].strip())
        elif re.match(r"^[A-Z]\w*,$", line):
            variants.append((kebab(line[:-1]), " ".join(doc)))
            doc = []
    return variants


def main():
    out = sys.stdout
    for path, name, heading in ENUMS:
        out.write(f"Values of {heading}:\n\n| value | meaning |\n|---|---|\n")
        for value, doc in enum_variants(open(path).read(), name):
            out.write(f"| `{value}` | {doc} |\n")
        out.write("\n")
    for path, name, heading in TABLES:
        out.write(f"### {heading}\n\n| key | type | meaning |\n|---|---|---|\n")
        for key, ty, doc in struct_fields(open(path).read(), name):
            out.write(f"| `{key}` | `{ty}` | {doc} |\n")
        out.write("\n")


if __name__ == "__main__":
    main()

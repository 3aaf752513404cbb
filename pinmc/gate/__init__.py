"""`pinmc gate`: a CI gate on proposed pinning rules.

A pipeline of plain functions on plain data:
  config.read_config   pyproject.toml [tool.pinmc]   -> Config
  plan.plan_gate       input files, spec directories -> [Pair]
  run.run_gate         pairs (cache, baseline)       -> the gate document (pinmc.gate/1)
  compare.compare      before/after results          -> each property's change and outcome
  outputs.write_outputs the document                 -> summary.md, junit.xml, results.sarif,
                                                        results.json, report/ (HTML, SVG)
Every output is a function of the gate document alone (docs/gate.md).
"""

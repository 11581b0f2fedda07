"""The scenario plugins zhicheng ships (hookspecs.SCENARIO_PLUGINS): one package per application domain."""

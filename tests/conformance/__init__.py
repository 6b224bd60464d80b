"""One conformance suite every registered platform passes (like NAPALM's shared getter tests).

``suite.PlatformConformance`` / ``suite.ValidatorConformance`` are reusable test classes; the
unit run (tests/unit/test_platform_conformance.py) gives them fakes, the integration run
(tests/integration/test_platform_conformance_live.py) the lab's FRR, BIRD and IOS devices.
"""

"""Board as an LTI 1.3 tool: registered platforms, Board's signing keys, the OIDC login and launch, and the people
and courses a launch brings in. JWT checks are pylti1p3's (PyJWT underneath); nothing here verifies a signature itself."""

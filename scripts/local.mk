# scripts/: see the module header; targets are added by the module's owner.

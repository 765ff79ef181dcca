"""service/telemetry"""

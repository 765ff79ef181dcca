"""service/resilience"""

"""service/adapters"""

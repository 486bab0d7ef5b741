"""
Every write collection knows, split by subdomain: cases (lifecycle and
stage), assignment, contacts and holds, promises, arrangements, visits. Each
service is keyword-only, runs in one transaction, writes its audit event and
its line on the case's timeline (services/timeline.py).
"""

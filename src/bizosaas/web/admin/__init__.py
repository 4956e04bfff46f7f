"""The admin dashboard (port 3009, ``/admin``): what a tenant admin does in a browser.

The tenant's success metrics against their targets, the achievement designer, boards,
referral programs and the fraud review queue, people (members, users, API keys, the audit
log), rewards and showcases. Every page reads and writes through the platform's APIs,
through the gateway, as the admin, so the services' rules and audit log apply.
"""

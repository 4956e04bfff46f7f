"""The client portal (port 3001, ``/portal``): what a member does in a browser.

Referrals (code, share link, funnel, rewards, tiers), achievements, leaderboards,
showcases (with their public pages), notifications and the platform switch. Every page
reads and writes through the platform's APIs, through the gateway, as the member.
"""

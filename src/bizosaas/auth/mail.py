"""Outgoing email: SMTP when configured, the log otherwise (so local runs need no server)."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage

from bizosaas.core.logging import get_logger
from bizosaas.core.settings import Settings

log = get_logger("bizosaas.mail")


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(self, to: str, subject: str, body: str) -> None:
        if not self.settings.smtp_host:
            log.info("email (no SMTP configured)", to=to, subject=subject, body=body)
            return
        message = EmailMessage()
        message["From"] = self.settings.smtp_from
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        await asyncio.to_thread(self._deliver, message)

    def _deliver(self, message: EmailMessage) -> None:
        settings = self.settings
        assert settings.smtp_host is not None
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_username and settings.smtp_password:
                smtp.login(settings.smtp_username, settings.smtp_password)
            smtp.send_message(message)

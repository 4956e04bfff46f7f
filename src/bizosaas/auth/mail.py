"""Outgoing email: SMTP when configured, the log otherwise (so local runs need no server)."""

from __future__ import annotations

import asyncio
import smtplib
from collections import deque
from dataclasses import dataclass
from email.message import EmailMessage

from bizosaas.core.logging import get_logger
from bizosaas.core.settings import Settings

log = get_logger("bizosaas.mail")


@dataclass(frozen=True)
class LoggedEmail:
    to: str
    subject: str
    body: str


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # Without SMTP, the latest emails are also kept here for the operator's console.
        self.outbox: deque[LoggedEmail] = deque(maxlen=100)

    async def send(self, to: str, subject: str, body: str) -> None:
        if not self.settings.smtp_host:
            log.info("email (no SMTP configured)", to=to, subject=subject, body=body)
            self.outbox.append(LoggedEmail(to, subject, body))
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

"""An e-mail file (.eml, or Outlook .msg) recorded as an engagement of kind e-mail.

``email_parse`` reads the file into a ``ParsedEmail``; ``email_record`` turns
it into an engagement: the Date header (timezone-aware) gives the day, the
subject the subject, the body (plain text, or the HTML part as text) the
summary; the sender and recipients are matched to contacts and staff by
address, and those matching nobody are listed to add. The file itself and
its attachments are kept as documents of the engagement. The Message-ID is
kept in ``RecordedEmail``, unique: the same message recorded twice is refused.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
import hashlib
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import PurePath

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from documents.models import Document, RecordedEmail
from documents.services import Upload, document_attach, document_check_file
from partners.models import Affiliation, Contact, Engagement, Partner
from partners.services import engagement_log

SUBJECT_MAX = Engagement._meta.get_field("subject").max_length


@dataclass(frozen=True)
class Address:
    name: str
    email: str

    def __str__(self) -> str:
        return email.utils.formataddr((self.name, self.email))


@dataclass
class ParsedEmail:
    message_id: str
    sent_at: dt.datetime
    subject: str
    sender: Address | None
    recipients: list[Address]
    body: str
    attachments: list[Upload] = field(default_factory=list)

    @property
    def addresses(self) -> list[Address]:
        people = [self.sender, *self.recipients] if self.sender else self.recipients
        seen: dict[str, Address] = {}
        for person in people:
            seen.setdefault(person.email.lower(), person)
        return list(seen.values())


class DuplicateEmail(ValidationError):
    """The message is recorded already; ``engagement`` is None if hidden."""

    def __init__(self, message: str, engagement: Engagement | None):
        super().__init__(message, code="duplicate")
        self.engagement = engagement


@dataclass
class EmailResult:
    engagement: Engagement
    unknown: list[Address]
    refused_attachments: list[str]
    kept_attachments: int


class _Text(HTMLParser):
    """HTML to plain text: paragraphs and line breaks kept, markup dropped."""

    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "table", "ul"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head"):
            self.skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head"):
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(re.sub(r"\s+", " ", data))

    def text(self) -> str:
        lines = [line.strip() for line in "".join(self.parts).splitlines()]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return parser.text()


def _addresses(*values: str) -> list[Address]:
    pairs = email.utils.getaddresses([v for v in values if v])
    return [Address(name.strip(), addr.strip()) for name, addr in pairs if "@" in addr]


def _aware(moment: dt.datetime) -> dt.datetime:
    # "-0000" (RFC 5322: UTC, the sender's zone unknown) parses as naive.
    if timezone.is_naive(moment):
        return moment.replace(tzinfo=dt.UTC)
    return moment


def _fallback_id(sender: str, sent_at: dt.datetime, subject: str, body: str) -> str:
    """An id for a message without Message-ID (a saved draft): its content's hash."""
    digest = hashlib.sha256(
        "\n".join([sender, sent_at.isoformat(), subject, body]).encode()
    ).hexdigest()
    return f"<sha256-{digest}@no-message-id>"


def _parse_eml(data: bytes, name: str) -> ParsedEmail:
    message = email.message_from_bytes(data, policy=email.policy.default)
    if not (message["From"] or message["Date"] or message["Message-ID"]):
        raise ValidationError(
            _("%(name)s is not an e-mail: it has no From, Date or Message-ID header.")
            % {"name": name},
            code="not_email",
        )
    raw_date = message["Date"]
    moment = email.utils.parsedate_to_datetime(str(raw_date)) if raw_date else None
    if moment is None:
        raise ValidationError(
            _("%(name)s: the Date header is missing or unreadable (%(value)s).")
            % {"name": name, "value": raw_date or _("none")},
            code="date",
        )
    body_part = message.get_body(preferencelist=("plain", "html"))
    body = ""
    if body_part is not None:
        body = body_part.get_content()
        if body_part.get_content_subtype() == "html":
            body = html_to_text(body)
    attachments = [
        Upload(PurePath(part.get_filename()).name, part.get_payload(decode=True) or b"")
        for part in message.iter_attachments()
        if part.get_filename()
    ]
    senders = _addresses(str(message["From"] or ""))
    return ParsedEmail(
        message_id=str(message["Message-ID"] or "").strip(),
        sent_at=_aware(moment),
        subject=str(message["Subject"] or "").strip(),
        sender=senders[0] if senders else None,
        recipients=_addresses(
            *(str(message[h] or "") for h in ("To", "Cc")),
        ),
        body=body.strip(),
        attachments=attachments,
    )


def _parse_msg(data: bytes, name: str) -> ParsedEmail:
    import extract_msg

    try:
        message = extract_msg.openMsg(data)
    except Exception as error:
        raise ValidationError(
            _("%(name)s is not an Outlook message that can be read: %(error)s")
            % {"name": name, "error": error},
            code="not_email",
        ) from error
    with message:
        moment = message.date
        if moment is None:
            raise ValidationError(
                _("%(name)s: the message has no date.") % {"name": name},
                code="date",
            )
        body = message.body or ""
        if not body.strip() and message.htmlBody:
            body = html_to_text(message.htmlBody.decode("utf-8", "replace"))
        senders = _addresses(message.sender or "")
        attachments = [
            Upload(
                PurePath(a.longFilename or a.shortFilename or "").name,
                bytes(a.data),
            )
            for a in message.attachments
            if isinstance(getattr(a, "data", None), bytes)
            and (a.longFilename or a.shortFilename)
        ]
        return ParsedEmail(
            message_id=(message.messageId or "").strip(),
            sent_at=_aware(moment),
            subject=(message.subject or "").strip(),
            sender=senders[0] if senders else None,
            recipients=_addresses(message.to or "", message.cc or ""),
            body=body.strip(),
            attachments=attachments,
        )


def email_parse(*, data: bytes, name: str, size: int | None = None) -> ParsedEmail:
    """Read an .eml or .msg file; ``ValidationError`` naming the file if it cannot."""
    extension = PurePath(name).suffix.lower()
    if extension not in (".eml", ".msg"):
        raise ValidationError(
            _("%(name)s: only .eml and .msg e-mail files can be recorded.")
            % {"name": name},
            code="type",
        )
    document_check_file(name=name, data=data, size=size)
    parsed = (_parse_msg if extension == ".msg" else _parse_eml)(data, name)
    if not parsed.message_id:
        parsed.message_id = _fallback_id(
            str(parsed.sender or ""), parsed.sent_at, parsed.subject, parsed.body
        )
    return parsed


def _duplicate(message_id: str, user) -> DuplicateEmail | None:
    recorded = (
        RecordedEmail.objects.filter(message_id=message_id)
        .select_related("engagement")
        .first()
    )
    if recorded is None:
        return None
    visible = Engagement.objects.visible_to(user).filter(pk=recorded.engagement_id)
    if visible.exists():
        return DuplicateEmail(
            _("This e-mail is already recorded as “%(engagement)s”.")
            % {"engagement": recorded.engagement},
            recorded.engagement,
        )
    # Whoever holds the file knows the message exists; what it was recorded
    # as, and on which partner, stays hidden.
    return DuplicateEmail(_("This e-mail is already recorded."), None)


@transaction.atomic
def email_record(
    *,
    data: bytes,
    name: str,
    user,
    size: int | None = None,
    partner: Partner | None = None,
    confidential: bool = False,
) -> EmailResult:
    """Record the e-mail file ``name`` as an engagement; all or nothing."""
    parsed = email_parse(data=data, name=name, size=size)
    duplicate = _duplicate(parsed.message_id, user)
    if duplicate is not None:
        raise duplicate
    addresses = [a.email.lower() for a in parsed.addresses]
    contacts = list(
        Contact.objects.annotate(address=Lower("email")).filter(address__in=addresses)
    )
    staff = list(
        get_user_model()
        .objects.annotate(address=Lower("email"))
        .filter(address__in=addresses, is_active=True)
    )
    known = {c.address for c in contacts} | {u.address for u in staff}
    unknown = [a for a in parsed.addresses if a.email.lower() not in known]
    partners = [partner] if partner is not None else []
    today = timezone.localdate()
    affiliated = Partner.objects.filter(
        affiliations__in=Affiliation.objects.filter(contact__in=contacts).exclude(
            end_date__lt=today
        )
    ).distinct()
    partners += [p for p in affiliated if p not in partners]
    if not partners:
        raise ValidationError(
            _(
                "%(name)s: none of its addresses (%(addresses)s) is a contact of a "
                "partner. Record it from the partner's page, or add the contacts "
                "first."
            )
            % {"name": name, "addresses": ", ".join(a.email for a in parsed.addresses)},
            code="no_partner",
        )
    subject = parsed.subject or _("(no subject)")
    if len(subject) > SUBJECT_MAX:
        subject = subject[: SUBJECT_MAX - 1] + "…"
    engagement = engagement_log(
        created_by=user,
        subject=subject,
        partners=partners,
        date=timezone.localtime(parsed.sent_at).date(),
        kind=Engagement.Kind.EMAIL,
        summary=parsed.body,
        contacts=contacts,
        staff=staff,
        confidential=confidential,
    )
    try:
        with transaction.atomic():
            RecordedEmail.objects.create(
                engagement=engagement,
                message_id=parsed.message_id[:500],
                sent_at=parsed.sent_at,
                sender=str(parsed.sender or "")[:500],
                recipients="\n".join(str(a) for a in parsed.recipients),
                unknown_addresses="\n".join(str(a) for a in unknown),
                recorded_by=user,
            )
    except IntegrityError:
        # Recorded by someone else in the meantime.
        raise _duplicate(parsed.message_id, user) or DuplicateEmail(
            _("This e-mail is already recorded."), None
        ) from None
    sent_on = engagement.date
    document_attach(
        record=engagement,
        upload=Upload(PurePath(name).name, data),
        type=Document.Type.EMAIL,
        date=sent_on,
        description=subject,
        confidential=confidential,
        user=user,
    )
    refused, kept = [], 0
    for attachment in parsed.attachments:
        try:
            with transaction.atomic():
                document_attach(
                    record=engagement,
                    upload=attachment,
                    type=Document.Type.ATTACHMENT,
                    date=sent_on,
                    description=_("Attached to “%(subject)s”") % {"subject": subject},
                    confidential=confidential,
                    user=user,
                )
            kept += 1
        except ValidationError as error:
            refused.extend(error.messages)
    return EmailResult(
        engagement=engagement,
        unknown=unknown,
        refused_attachments=refused,
        kept_attachments=kept,
    )

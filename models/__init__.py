"""Peewee models, bound through one DatabaseProxy; domain operations live on the models."""

from models.base import BaseModel, bind_database, database, utcnow
from models.case import Case, CaseEvent
from models.conversation import Conversation
from models.digest_delivery import DigestDelivery
from models.message import Message
from models.person import Person
from models.report_draft import ReportDraft
from models.staff import Staff, Village
from models.task import Task
from models.training import Enrollment, Training, TrainingStep

SERVICE_MODELS = [Person, Staff, Village, Message, Conversation]
"""The service's own tables; each feature declares its own (`Feature.models`), and `Registry.tables()` has all."""

__all__ = [
    "SERVICE_MODELS",
    "BaseModel",
    "Case",
    "CaseEvent",
    "Conversation",
    "DigestDelivery",
    "Enrollment",
    "Message",
    "Person",
    "ReportDraft",
    "Staff",
    "Task",
    "Training",
    "TrainingStep",
    "Village",
    "bind_database",
    "database",
    "utcnow",
]

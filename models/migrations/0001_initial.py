"""Initial schema: people, staff, villages, messages, conversations."""
from models.conversation import Conversation
from models.message import Message
from models.person import Person
from models.staff import Staff, Village


def up(migrator, db) -> None:
    """Create the first tables."""
    db.create_tables([Person, Staff, Village, Message, Conversation])

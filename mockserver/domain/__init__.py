"""The pure domain of conductor-mock: human tasks, identities and their rules. Standard library only."""

from mockserver.domain.clock import Clock, ManualClock, SystemClock
from mockserver.domain.errors import DomainError
from mockserver.domain.identity import (
    Access,
    ApiKey,
    AuthSettings,
    Directory,
    Permission,
    Principal,
    PrincipalKind,
    Role,
    SubjectType,
    TokenService,
)
from mockserver.domain.ids import IdGenerator, RandomIds, SequentialIds
from mockserver.domain.model import (
    Action,
    ActionLog,
    Assignment,
    CompletionStrategy,
    FormRef,
    HumanTask,
    HumanTaskDef,
    LogAction,
    TaskState,
    TaskUser,
    Template,
    UserType,
)
from mockserver.domain.store import SearchPage, SearchType, TaskSearch, TaskStore, TemplateStore, new_task
from mockserver.domain.world import Seed, World

__all__ = [
    "Access", "Action", "ActionLog", "ApiKey", "Assignment", "AuthSettings", "Clock", "CompletionStrategy",
    "Directory", "DomainError", "FormRef", "HumanTask", "HumanTaskDef", "IdGenerator", "LogAction", "ManualClock",
    "Permission", "Principal", "PrincipalKind", "RandomIds", "Role", "SearchPage", "SearchType", "Seed",
    "SequentialIds", "SubjectType", "SystemClock", "TaskSearch", "TaskState", "TaskStore", "TaskUser", "Template",
    "TemplateStore", "TokenService", "UserType", "World", "new_task",
]

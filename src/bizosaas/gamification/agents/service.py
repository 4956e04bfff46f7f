"""Running agent tasks: the orchestrator hands each task type to its specialist (typed
dispatch, :func:`AgentTasks._dispatch`), each specialist checks the caller's permission as
the matching endpoint does and does the work through the services that own it, and every
task that ran is recorded: who asked, the inputs, the outcome, what did the work and how
long it took.

A task that is refused (a payload that does not fit, a missing permission, another
tenant's object) answers with its error and is not recorded, like any refused call.

A long task (a showcase a language model writes: seconds per call, and retries) is
recorded ``running`` and answered 202 at once; it runs on Temporal (:mod:`.long_tasks`),
whose activity, :meth:`AgentTasks.run_long`, does the work and records the outcome.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from bizosaas.core.database import Database, RowScope, after_commit, utcnow
from bizosaas.core.errors import AppError, BadRequest, Conflict, NotFound
from bizosaas.core.logging import get_logger
from bizosaas.core.temporal import TemporalLink
from bizosaas.gamification.achievements import member_views
from bizosaas.gamification.achievements import service as achievement_service
from bizosaas.gamification.achievements.preview import preview as achievement_preview
from bizosaas.gamification.achievements.requests import read_request
from bizosaas.gamification.agents.long_tasks import (
    FAIL_ACTIVITY,
    REFUSED,
    RUN_ACTIVITY,
    AgentTaskWorkflow,
    FailedTask,
    LongTask,
    task_workflow_id,
)
from bizosaas.gamification.agents.models import AgentTask
from bizosaas.gamification.agents.registry import AGENTS, specialist_for
from bizosaas.gamification.agents.repository import (
    ActivityFlagRepository,
    AgentQueries,
    AgentTaskRepository,
)
from bizosaas.gamification.agents.schemas import (
    AchievementReport,
    AchievementReportResult,
    AchievementsResult,
    ActivityDecision,
    AgentOut,
    AgentsOut,
    BoardRebuilt,
    CheckAchievements,
    CompetitiveInsights,
    ConversionResult,
    DetectFraud,
    DraftAchievement,
    DraftResult,
    Finding,
    Flag,
    FraudResult,
    GenerateShowcase,
    InsightsResult,
    LeaderboardsResult,
    ManipulationFlags,
    ManipulationResult,
    ProcessReferral,
    PromotePayload,
    PromotePosts,
    PromoteResult,
    Reason,
    ReferralReport,
    ReferralReportResult,
    Referrer,
    ScoreJumps,
    ScoreJumpsResult,
    ShareResult,
    ShareShowcase,
    ShowcaseResult,
    TaskIn,
    TaskOut,
    TaskResult,
    TasksOut,
    UpdateLeaderboards,
)
from bizosaas.gamification.analytics import service as analytics
from bizosaas.gamification.analytics.schemas import AnalyticsReport
from bizosaas.gamification.caller import Caller
from bizosaas.gamification.leaderboards import flags
from bizosaas.gamification.leaderboards import service as leaderboards
from bizosaas.gamification.leaderboards.insights import insights
from bizosaas.gamification.leaderboards.live import LiveRanks
from bizosaas.gamification.leaderboards.repository import BoardRepository
from bizosaas.gamification.members.service import MemberService, tenant_settings
from bizosaas.gamification.portfolios import service as portfolios
from bizosaas.gamification.portfolios import sharing
from bizosaas.gamification.portfolios.schemas import PublicPortfolio, PublicShowcase
from bizosaas.gamification.portfolios.service import ShowcaseLinks, require_manager
from bizosaas.gamification.portfolios.writing import DETERMINISTIC, Writer
from bizosaas.gamification.referrals import programs
from bizosaas.gamification.referrals.conversions import ReferralConversions
from bizosaas.identity.vocabulary import Permission, Role

TOP_REFERRERS = 10
EVERYBODY = 0.8  # of the members, and of them within the first day: everybody at once
EVERYBODY_MIN_MEMBERS = 5
OWN_FACTOR = 5.0  # a day this many times the member's usual day
PEER_FACTOR = 2.0  # and this many times anybody's busiest days is flagged
NOT_STARTED = "The task could not be started (Temporal did not answer); nothing was saved."
TASK = TypeAdapter[TaskIn](TaskIn)
log = get_logger("bizosaas.gamification.agents")


class AgentTasks:
    def __init__(
        self,
        conversions: ReferralConversions,
        members: MemberService,
        live: LiveRanks,
        writer: Writer,
        public_url: str,
        database: Database,
        temporal: TemporalLink,
    ) -> None:
        self.conversions = conversions
        self.members = members
        self.live = live
        self.writer = writer
        self.public_url = public_url
        self.database = database
        self.temporal = temporal

    @staticmethod
    def agents() -> AgentsOut:
        return AgentsOut(
            agents=[
                AgentOut(name=a.name, summary=a.summary, task_types=list(a.task_types))
                for a in AGENTS
            ]
        )

    async def run(self, db: AsyncSession, caller: Caller, task: TaskIn) -> TaskOut:
        """Run a short task now; record a long one as running and start its workflow."""
        if self._is_long(task):
            return await self._start(db, caller, task)
        started = time.perf_counter()
        result, model = await self._dispatch(db, caller, task)
        record = await _record(
            db,
            caller,
            task,
            status="succeeded",
            result=result.model_dump(mode="json", by_alias=True),
            model=model,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
        )
        return TaskOut.model_validate(record)

    # -- long tasks, on Temporal -------------------------------------------------------------

    def _is_long(self, task: TaskIn) -> bool:
        """A language model writing a showcase: seconds per call, and retries."""
        return isinstance(task, GenerateShowcase) and self.writer.name != DETERMINISTIC

    async def _start(self, db: AsyncSession, caller: Caller, task: TaskIn) -> TaskOut:
        require_manager(caller)  # refused at once, as the short task would be
        record = await _record(db, caller, task, status="running", model=self.writer.name)
        job = LongTask(
            task_id=record.id,
            tenant_id=caller.tenant_id,
            tenant_slug=caller.tenant_slug,
            user_id=caller.user_id,
            role=caller.role.value if caller.role else None,
            permissions=sorted(caller.permissions),
            task=TASK.dump_python(task, mode="json", by_alias=True),
        )
        after_commit(db, lambda: self._launch(job))
        return TaskOut.model_validate(record)

    async def _launch(self, job: LongTask) -> None:
        """Start the task's workflow once its record is committed; if Temporal does not
        answer, the task is recorded as failed rather than left running."""
        try:
            await self.temporal.start_once(
                AgentTaskWorkflow.run, job, task_workflow_id(job.task_id)
            )
        except Exception:
            log.warning("could not start an agent task", task_id=str(job.task_id), exc_info=True)
            await self.fail(
                FailedTask(task_id=job.task_id, tenant_id=job.tenant_id, error=NOT_STARTED)
            )

    @activity.defn(name=RUN_ACTIVITY)
    async def run_long(self, job: LongTask) -> str:
        """Do the task and record its result, in one transaction (a failure stores nothing:
        a refusal no retry can change is not retried, anything else is)."""
        caller = Caller(
            tenant_id=job.tenant_id,
            user_id=job.user_id,
            role=Role(job.role) if job.role else None,
            permissions=frozenset(job.permissions),
            tenant_slug=job.tenant_slug,
        )
        async with self.database.transaction(caller.row_scope) as db:
            record = await AgentTaskRepository(db).by_id(job.task_id, lock=True)
            if record is None or record.status != "running":  # finished by an earlier try
                return record.status if record else "missing"
            try:
                result, model = await self._dispatch(db, caller, TASK.validate_python(job.task))
            except AppError as refused:
                retry = refused.status_code >= 500
                raise ApplicationError(refused.detail, type=None if retry else REFUSED) from None
            record.status = "succeeded"
            record.result = result.model_dump(mode="json", by_alias=True)
            record.model = model
            record.duration_ms = _since(record.created_at)
        return "succeeded"

    @activity.defn(name=FAIL_ACTIVITY)
    async def fail(self, failed: FailedTask) -> None:
        """Every try failed: the task is recorded failed, with the reason."""
        async with self.database.transaction(RowScope.tenant(failed.tenant_id)) as db:
            record = await AgentTaskRepository(db).by_id(failed.task_id, lock=True)
            if record is not None and record.status == "running":
                record.status, record.error = "failed", failed.error
                record.duration_ms = _since(record.created_at)

    async def get(self, db: AsyncSession, caller: Caller, task_id: uuid.UUID) -> TaskOut:
        """The task, to whoever asked for it and to tenant admins."""
        task = await AgentTaskRepository(db).by_id(task_id)
        if task is None or not _may_read(caller, task):
            raise NotFound("No such task.")
        return TaskOut.model_validate(task)

    async def recent(
        self, db: AsyncSession, caller: Caller, task_type: str | None, limit: int
    ) -> TasksOut:
        caller.require_admin()
        rows = await AgentTaskRepository(db).recent(task_type, limit)
        return TasksOut(tasks=[TaskOut.model_validate(r) for r in rows])

    # -- the orchestrator ------------------------------------------------------------------

    async def _dispatch(
        self, db: AsyncSession, caller: Caller, task: TaskIn
    ) -> tuple[TaskResult, str | None]:
        match task:
            case ProcessReferral(payload=body):
                conversion = await self.conversions.track_conversion(db, caller, body)
                return ConversionResult(conversion=conversion), await self._fraud_model()
            case DetectFraud(payload=body):
                return await self._detect_fraud(db, caller, body.conversion_id)
            case ReferralReport(payload=body):
                return await self._referral_report(db, caller, body.from_date, body.to_date), None
            case CheckAchievements(payload=body):
                return await self._check_achievements(db, caller, body.user_id, body.limit), None
            case DraftAchievement(payload=body):
                return await self._draft_achievement(db, caller, body.request), None
            case AchievementReport(payload=body):
                report = await self._achievement_report(db, caller, body.from_date, body.to_date)
                return report, None
            case ManipulationFlags(payload=body):
                return await self._manipulation_flags(db, caller, body.days, body.least), None
            case CompetitiveInsights(payload=body):
                caller.require(Permission.ACCESS_GAMIFICATION)
                board = await leaderboards.tenant_board(db, body.leaderboard_id)
                whose = await self.members.whose(caller, body.user_id)
                found = await insights(db, self.live, caller, board, whose)
                return InsightsResult(insights=found), None
            case ScoreJumps(payload=body):
                caller.require_admin()
                if body.leaderboard_id is not None:
                    await leaderboards.tenant_board(db, body.leaderboard_id)
                jumps = await flags.list_flags(db, body.leaderboard_id, body.status)
                return ScoreJumpsResult(flags=jumps.flags), None
            case UpdateLeaderboards(payload=body):
                return await self._update_leaderboards(db, caller, body.leaderboard_id), None
            case GenerateShowcase(payload=body):
                require_manager(caller)
                links = ShowcaseLinks(self.public_url, caller.tenant_slug)
                portfolio = await portfolios.generate(
                    db, self.members, caller, body, links, self.writer
                )
                return ShowcaseResult(portfolio=portfolio), self.writer.name
            case ShareShowcase(payload=body):
                return await self._share(db, caller, body.portfolio_id), None
            case PromotePosts(payload=body):
                return await self._promote(db, caller, body), None
        raise BadRequest(f"No agent takes {task.task_type!r}.")  # pragma: no cover - typed

    async def _fraud_model(self) -> str:
        model = await self.conversions.models.current()
        return f"fraud model ({model.trained_on})" if model else "fraud rules"

    # -- ReferralSystemAgent ---------------------------------------------------------------

    async def _detect_fraud(
        self, db: AsyncSession, caller: Caller, conversion_id: uuid.UUID
    ) -> tuple[FraudResult, str]:
        caller.require_admin()
        conversion, assessment = await self.conversions.rescore(db, conversion_id)
        return FraudResult(
            conversion_id=conversion.id,
            status=conversion.status,
            stored_score=conversion.risk_score,
            score=assessment.score,
            decision=assessment.decision,
            reasons=[Reason(**r.as_dict()) for r in assessment.reasons],  # type: ignore[arg-type]
        ), await self._fraud_model()

    async def _referral_report(
        self, db: AsyncSession, caller: Caller, first: date | None, last: date | None
    ) -> ReferralReportResult:
        caller.require(Permission.VIEW_ANALYTICS)
        report = await analytics.report(db, first, last)
        start, end = _span(report)
        rows = await AgentQueries(db).top_referrers(start, end, TOP_REFERRERS)
        return ReferralReportResult(
            from_date=report.from_date,
            to_date=report.to_date,
            funnel=report.referrals,
            top_referrers=[Referrer(**row) for row in rows],
        )

    # -- AchievementSystemAgent ------------------------------------------------------------

    async def _check_achievements(
        self, db: AsyncSession, caller: Caller, user_id: uuid.UUID | None, limit: int
    ) -> AchievementsResult:
        caller.require(Permission.ACCESS_GAMIFICATION)
        whose = await self.members.whose(caller, user_id)
        goals = await member_views.next_goals(db, whose, limit)
        state = await member_views.member_achievements(db, whose, reveal=False)
        return AchievementsResult(
            next_goals=goals,
            unlocked_count=state.unlocked_count,
            points_earned=state.points_earned,
        )

    async def _draft_achievement(
        self, db: AsyncSession, caller: Caller, request: str
    ) -> DraftResult:
        """A definition proposed from the request, with who would already qualify; nothing
        is saved (the admin confirms it in the designer)."""
        caller.require(Permission.MANAGE_ACHIEVEMENTS)
        reading = read_request(request)
        found, refused = None, None
        if reading.proposal is not None:
            try:
                async with db.begin_nested():  # a refusal leaves the request's work intact
                    found = await achievement_preview(db, reading.proposal)
            except AppError as exc:
                refused = exc.detail
        return DraftResult(
            request=request,
            understood=reading.proposal is not None,
            explanation=reading.explanation,
            proposal=reading.proposal,
            preview=found,
            refused=refused,
        )

    async def _achievement_report(
        self, db: AsyncSession, caller: Caller, first: date | None, last: date | None
    ) -> AchievementReportResult:
        caller.require(Permission.VIEW_ANALYTICS)
        report = await analytics.report(db, first, last)
        start, end = _span(report)
        members, reach = await AgentQueries(db).reach(end)
        findings: list[Finding] = []
        for row in reach:
            if row["members"] == 0 and row["created_at"] <= start:
                findings.append(
                    Finding(
                        kind="nobody_reaches",
                        achievement_key=row["key"],
                        text=f"Nobody has reached “{row['name']}” since it was made: its first "
                        "level may be out of reach.",
                    )
                )
            elif (
                members >= EVERYBODY_MIN_MEMBERS
                and row["members"] >= EVERYBODY * members
                and row["first_day"] >= EVERYBODY * row["members"]
            ):
                findings.append(
                    Finding(
                        kind="everybody_at_once",
                        achievement_key=row["key"],
                        text=f"{row['first_day']} of {members} members reached “{row['name']}” "
                        "on its first day: it rewards what everybody does anyway.",
                    )
                )
        return AchievementReportResult(
            from_date=report.from_date,
            to_date=report.to_date,
            active_members=report.active_members,
            unlock_rate=report.achievements.unlock_rate,
            by_achievement=report.achievements.by_achievement,
            findings=findings,
        )

    async def _manipulation_flags(
        self, db: AsyncSession, caller: Caller, days: int, least: int
    ) -> ManipulationResult:
        """Members whose event rate jumped, each kept as today's flag: one an admin
        dismissed today is left out; one confirmed stays, marked so."""
        caller.require_admin()
        now = utcnow()
        rows = await AgentQueries(db).event_rate_jumps(now, days, least, OWN_FACTOR, PEER_FACTOR)
        kept = await ActivityFlagRepository(db).record(
            now.date(),
            [
                {
                    "user_id": row["user_id"],
                    "last_day": row["last_day"],
                    "usual": float(row["usual"]),
                    "peers": float(row["peers"]),
                    "status": "open",
                    "created_at": now,
                }
                for row in rows
            ],
        )
        return ManipulationResult(
            flags=[
                Flag(
                    id=kept[row["user_id"]].id,
                    status=kept[row["user_id"]].status,
                    user_id=row["user_id"],
                    name=row["name"],
                    last_day=row["last_day"],
                    usual=float(row["usual"]),
                    peers=float(row["peers"]),
                    text=f"{row['name'] or 'A member'} sent {row['last_day']} events in the "
                    f"last 24 hours; their usual day has {float(row['usual']):g} and the "
                    f"busiest days of anyone here {float(row['peers']):g}. Check before "
                    "rewarding.",
                )
                for row in rows
                if kept[row["user_id"]].status != "dismissed"
            ]
        )

    async def decide_activity(
        self, db: AsyncSession, caller: Caller, flag_id: uuid.UUID, decision: str
    ) -> ActivityDecision:
        """Dismiss a flag of unusual activity (it is not reported again that day) or confirm
        it (it stays listed, marked confirmed); a decided flag answers 409."""
        caller.require_admin()
        flag = await ActivityFlagRepository(db).by_id(flag_id, lock=True)
        if flag is None:
            raise NotFound("No such flag.")
        if flag.status != "open":
            raise Conflict(f"The flag is already {flag.status}.")
        flag.status = "dismissed" if decision == "dismiss" else "confirmed"
        flag.decided_by, flag.decided_at = caller.user_id, utcnow()
        await db.flush()
        return ActivityDecision.model_validate(flag)

    # -- LeaderboardAgent ------------------------------------------------------------------

    async def _update_leaderboards(
        self, db: AsyncSession, caller: Caller, board_id: uuid.UUID | None
    ) -> LeaderboardsResult:
        caller.require_admin()
        if board_id is not None:
            chosen = [await leaderboards.tenant_board(db, board_id)]
        else:
            chosen = await BoardRepository(db).list_boards()
        rebuilt = []
        for board in chosen:
            done = await leaderboards.rebuild(self.live, board)
            rebuilt.append(BoardRebuilt(id=board.id, name=board.name, members=done.members))
        return LeaderboardsResult(boards=rebuilt)

    # -- ShowcasePortfolioAgent ------------------------------------------------------------

    async def _share(
        self, db: AsyncSession, caller: Caller, portfolio_id: uuid.UUID
    ) -> ShareResult:
        """Markup, keywords and a post per network for a published showcase."""
        require_manager(caller)
        links = ShowcaseLinks(self.public_url, caller.tenant_slug)
        portfolio = await portfolios.get_portfolio(db, caller, portfolio_id, links)
        if portfolio.status != "published" or not portfolio.public_url:
            raise Conflict("Publish the showcase first: every post links to its public page.")
        showcase = PublicShowcase(
            **portfolio.model_dump(include=set(PublicPortfolio.model_fields)),
            organisation=(await tenant_settings(db)).display_name,
        )
        url = portfolio.public_url
        return ShareResult(
            portfolio_id=portfolio.id,
            url=url,
            keywords=sharing.keywords(showcase),
            json_ld=sharing.article(showcase, url),
            posts=sharing.posts(showcase, url),
        )

    async def _promote(
        self, db: AsyncSession, caller: Caller, body: PromotePayload
    ) -> PromoteResult:
        """A post per network inviting members to an achievement or a referral program."""
        caller.require_admin()
        portal = f"{self.public_url}/portal"
        if body.achievement_id is not None:
            found = await achievement_service.get_definition(db, body.achievement_id)
            story = f"Can you earn “{found.name}”? {found.description}".strip()
            url = f"{portal}/achievements"
        else:
            assert body.program_id is not None  # the payload names exactly one
            program = await programs.find_program(db, body.program_id)
            friend = program.referee_reward or {}
            gift = f" and they get {friend['amount']} {friend['unit']}" if friend else ""
            story = f"{program.name}: invite a friend with your link{gift}."
            if program.share_message:
                story = f"{story} {program.share_message}"
            url = f"{portal}/referrals"
        return PromoteResult(url=url, posts=sharing.promotion(story, url))


def _span(report: AnalyticsReport) -> tuple[datetime, datetime]:
    """The report's days as instants: from its first midnight to the one after its last."""
    start = datetime.combine(report.from_date, datetime.min.time(), tzinfo=UTC)
    return start, start + timedelta(days=(report.to_date - report.from_date).days + 1)


async def _record(
    db: AsyncSession,
    caller: Caller,
    task: TaskIn,
    *,
    status: str,
    model: str | None,
    result: dict[str, Any] | None = None,
    duration_ms: float = 0.0,
) -> AgentTask:
    """The task's record: who asked, the inputs, and (once known) the outcome."""
    record = AgentTaskRepository(db).add(
        AgentTask(
            id=uuid.uuid4(),
            task_type=task.task_type,
            agent=specialist_for(task.task_type).name,
            status=status,
            requested_by=caller.user_id,
            api_key_id=caller.api_key_id,
            payload=task.payload.model_dump(mode="json", by_alias=True),
            result=result,
            model=model,
            duration_ms=duration_ms,
            created_at=utcnow(),
        )
    )
    await db.flush()
    return record


def _since(moment: datetime) -> float:
    return round((utcnow() - moment).total_seconds() * 1000, 2)


def _may_read(caller: Caller, task: AgentTask) -> bool:
    if caller.is_tenant_admin:
        return True
    if caller.is_api_key:
        return task.api_key_id == caller.api_key_id
    return task.requested_by is not None and task.requested_by == caller.user_id

"""A realistic demo store: production records, a prompt catalog, an A/B test, reviews.

`create_demo` writes a JSONL file of production records (a support assistant, a
summarizer and a SQL helper, in five languages, over the last six weeks) and imports it
through the real import path, then adds what an import cannot bring: the prompts and
their versions, the A/B experiment, the auto-send policy, and reviews by two demo
teammates on about a quarter of the samples, so every analytics screen has material
while the user's own queue stays untouched.

Every record has a hidden quality (good, or bad with one failure mode) that drives its
production score, its implicit signals and the teammates' verdicts, the way real
traffic does: scores overlap, signals are noisy, reviewers sometimes disagree.
Everything is deterministic for a seed, and record i does not depend on the count, so a
bigger demo extends a smaller one. Running the demo again adds nothing.

The demo refuses a store that has synced with a team database: it finds its prompts,
experiment and policy by name, so in such a store it would add its versions under the
team's own "support-assistant" (and a lead's next sync would push them). A store that
tried the demo first and joined a team later is fine: everything the demo makes is
marked `is_demo` (its batch, prompts, experiment and policy), and sync renames the demo's
rows "<name>.demo" and never pushes them (redline.sync.demo_rows).
"""

from __future__ import annotations

import json
import math
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select

from redline import clock
from redline.errors import RedlineError
from redline.ingest.service import import_file
from redline.progress import NO_PROGRESS, Progress, check
from redline.store.base import Base, uuid7
from redline.store.models import (
    Batch,
    BatchStatus,
    Experiment,
    Policy,
    Prompt,
    PromptVersion,
    Review,
    Sample,
    SyncState,
)
from redline.store.session import session_scope

DEMO_SOURCE = "demo-production"
DEMO_REVIEWERS = ("ana", "ben")
DEMO_DEVICE = "demo"
DEMO_IMPORTER = "redline demo"
POLICY_NAME = "auto-send"
EXPERIMENT_NAME = "support-assistant v3: empathetic opening (A/B)"
REVIEW_SHARE = 0.25
HISTORY_DAYS = 42

# How the demo records are laid out (nested like a real logging pipeline's records);
# given explicitly so the demo never depends on what detection guesses.
DEMO_MAPPING = {
    "external_id": "request_id",
    "captured_at": "timestamp",
    "model": "model",
    "prompt_name": "prompt.name",
    "prompt_version": "prompt.version",
    "variant": "prompt.variant",
    "session_id": "session_id",
    "system_prompt": "system",
    "input": "input",
    "output": "output",
    "score": "score",
    "decision": "decision",
    "latency_ms": "latency_ms",
    "tokens_in": "usage.input_tokens",
    "tokens_out": "usage.output_tokens",
    "language": "language",
    "segments": "segments",
    "signal_copied": "signals.copied",
    "signal_edited": "signals.edited",
    "signal_follow_up": "signals.follow_up",
    "signal_thumbs": "signals.thumbs",
}


@dataclass(frozen=True)
class DemoSummary:
    """What `create_demo` did.

    Attributes:
        file: the JSONL file of production records it wrote (or found and reused).
        batch_id: the import batch of that file.
        samples: demo samples now in the store.
        imported: samples this run added (0 when the demo was there already).
        bad_rows: malformed lines in the file (the demo has a few, like real logs).
        reviews: teammates' reviews now in the store.
        reviews_added: reviews this run added.
        catalog_added: prompt versions, experiments and policies this run added.
    """

    file: Path
    batch_id: str
    samples: int
    imported: int
    bad_rows: int
    reviews: int
    reviews_added: int
    catalog_added: int

    @property
    def already_present(self) -> bool:
        return self.imported == 0 and self.reviews_added == 0 and self.catalog_added == 0


# --------------------------------------------------------------------------- content

LANGUAGES = ("en", "de", "fr", "es", "ja")
LANGUAGE_WEIGHTS = (0.60, 0.12, 0.10, 0.10, 0.08)
LANGUAGE_NAMES = {
    "en": "English",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "ja": "Japanese",
}
PRODUCT = "Brightdesk"

# Support questions and the answers a good reply gives, per language ({slots} filled per
# record). Non-English traffic asks fewer kinds of questions, as in real logs.
SUPPORT: dict[str, dict[str, tuple[str, str]]] = {
    "double_charge": {
        "en": (
            "Hi, I was charged twice for my {tier} subscription this month ({amount} each). "
            "Can you refund the duplicate charge?",
            "Sorry about the double charge. I can see two payments of {amount} this month; "
            "the second one is a duplicate and I've submitted it for a refund. It will be "
            "back on your card within 5–10 business days, and you'll get a confirmation "
            "email once it's issued.",
        ),
        "de": (
            "Hallo, mir wurde mein {tier}-Abo diesen Monat zweimal berechnet (je {amount}). "
            "Können Sie die doppelte Abbuchung erstatten?",
            "Das tut mir leid. Ich sehe zwei Zahlungen über {amount} in diesem Monat; die "
            "zweite ist doppelt und ist zur Erstattung eingereicht. Das Geld ist in 5–10 "
            "Werktagen wieder auf Ihrer Karte, und Sie erhalten eine Bestätigung per E-Mail.",
        ),
        "fr": (
            "Bonjour, mon abonnement {tier} a été débité deux fois ce mois-ci ({amount} "
            "chaque fois). Pouvez-vous rembourser le doublon ?",
            "Désolé pour ce double prélèvement. Je vois bien deux paiements de {amount} ce "
            "mois-ci ; le second est un doublon et je l'ai transmis pour remboursement. Le "
            "montant sera recrédité sous 5 à 10 jours ouvrés et vous recevrez un e-mail de "
            "confirmation.",
        ),
        "es": (
            "Hola, me han cobrado dos veces la suscripción {tier} este mes ({amount} cada "
            "vez). ¿Pueden devolverme el cargo duplicado?",
            "Lamento el doble cargo. Veo dos pagos de {amount} este mes; el segundo está "
            "duplicado y ya lo he enviado para reembolso. Volverá a su tarjeta en 5 a 10 "
            "días hábiles y recibirá un correo de confirmación.",
        ),
        "ja": (
            "今月、{tier}プランの料金が2回請求されています（各{amount}）。重複分を返金して"
            "いただけますか？",
            "ご不便をおかけして申し訳ありません。今月{amount}の請求が2件あり、2件目が重複で"
            "あることを確認しました。返金手続きを行い、5〜10営業日以内にカードへ返金されます。"
            "完了時に確認メールをお送りします。",
        ),
    },
    "password_reset": {
        "en": (
            "I can't log in. The password reset email never arrives at {email}, and I've "
            "already checked spam.",
            "Thanks for checking spam already. I've re-sent the reset link to {email}; it "
            "is valid for 30 minutes. If it doesn't arrive within 10 minutes, your mail "
            "filter may be blocking no-reply@brightdesk.io — please ask IT to allow it, or "
            "reply here and I'll verify your identity another way.",
        ),
        "de": (
            "Ich kann mich nicht anmelden. Die E-Mail zum Zurücksetzen des Passworts kommt "
            "bei {email} nie an, im Spam habe ich schon nachgesehen.",
            "Danke, dass Sie den Spam-Ordner schon geprüft haben. Ich habe den Link erneut an "
            "{email} gesendet; er ist 30 Minuten gültig. Falls er in 10 Minuten nicht da ist, "
            "blockiert vermutlich Ihr Mailfilter no-reply@brightdesk.io – bitten Sie Ihre IT, "
            "die Adresse freizugeben, oder antworten Sie hier.",
        ),
        "fr": (
            "Je n'arrive pas à me connecter : l'e-mail de réinitialisation du mot de passe "
            "n'arrive jamais sur {email}, et j'ai vérifié les spams.",
            "Merci d'avoir déjà vérifié les spams. J'ai renvoyé le lien à {email} ; il est "
            "valable 30 minutes. S'il n'arrive pas d'ici 10 minutes, votre filtre bloque "
            "peut-être no-reply@brightdesk.io : demandez à votre service informatique de "
            "l'autoriser, ou répondez ici.",
        ),
        "es": (
            "No puedo iniciar sesión. El correo para restablecer la contraseña nunca llega a "
            "{email} y ya revisé la carpeta de spam.",
            "Gracias por revisar el spam. He reenviado el enlace a {email}; es válido durante "
            "30 minutos. Si no llega en 10 minutos, es posible que su filtro bloquee "
            "no-reply@brightdesk.io: pida a su equipo de TI que lo permita o responda aquí.",
        ),
        "ja": (
            "ログインできません。パスワード再設定のメールが{email}に届きません。迷惑メールフォ"
            "ルダも確認済みです。",
            "迷惑メールフォルダをご確認いただきありがとうございます。再設定リンクを{email}に"
            "再送しました（有効期限30分）。10分以内に届かない場合、メールフィルタが"
            "no-reply@brightdesk.io をブロックしている可能性があります。IT部門に許可を依頼"
            "するか、こちらにご返信ください。",
        ),
    },
    "cancel": {
        "en": (
            "How do I cancel my subscription? I don't want to be charged again on {date}.",
            "You can cancel any time under Settings → Billing → Cancel plan. You keep access "
            "until the end of the current period and won't be charged on {date}. After "
            "cancelling you'll see a confirmation banner and receive an email.",
        ),
        "de": (
            "Wie kündige ich mein Abo? Ich möchte am {date} nicht erneut belastet werden.",
            "Sie können jederzeit unter Einstellungen → Abrechnung → Tarif kündigen kündigen. "
            "Der Zugang bleibt bis zum Ende des laufenden Zeitraums, und am {date} wird "
            "nichts mehr abgebucht. Danach erhalten Sie eine Bestätigung per E-Mail.",
        ),
        "fr": (
            "Comment résilier mon abonnement ? Je ne veux pas être débité à nouveau le {date}.",
            "Vous pouvez résilier à tout moment dans Paramètres → Facturation → Résilier. "
            "Vous gardez l'accès jusqu'à la fin de la période en cours et ne serez pas débité "
            "le {date}. Un e-mail de confirmation vous sera envoyé.",
        ),
        "es": (
            "¿Cómo cancelo mi suscripción? No quiero que me cobren otra vez el {date}.",
            "Puede cancelar en cualquier momento en Ajustes → Facturación → Cancelar plan. "
            "Mantendrá el acceso hasta el final del periodo actual y no se le cobrará el "
            "{date}. Recibirá un correo de confirmación.",
        ),
        "ja": (
            "サブスクリプションを解約するにはどうすればよいですか？{date}に再度請求されたく"
            "ありません。",
            "設定 → 請求 → プランを解約 からいつでも解約できます。現在の期間の終了まで"
            "ご利用いただけ、{date}に請求されることはありません。解約後に確認メールが届きます。",
        ),
    },
    "export": {
        "en": (
            "Is there a way to export all our projects to CSV before our contract ends?",
            "Yes. Go to Settings → Data → Export, choose CSV and select all projects. Large "
            "workspaces are prepared in the background and you'll get a download link by "
            "email, usually within an hour. The link stays valid for 7 days.",
        ),
        "de": (
            "Kann ich vor Vertragsende alle unsere Projekte als CSV exportieren?",
            "Ja. Unter Einstellungen → Daten → Export wählen Sie CSV und alle Projekte aus. "
            "Große Arbeitsbereiche werden im Hintergrund vorbereitet; den Download-Link "
            "erhalten Sie meist innerhalb einer Stunde per E-Mail. Er ist 7 Tage gültig.",
        ),
        "fr": (
            "Est-il possible d'exporter tous nos projets en CSV avant la fin du contrat ?",
            "Oui. Dans Paramètres → Données → Export, choisissez CSV et sélectionnez tous les "
            "projets. Les gros espaces sont préparés en arrière-plan et vous recevrez un lien "
            "de téléchargement par e-mail, en général sous une heure, valable 7 jours.",
        ),
        "es": (
            "¿Podemos exportar todos nuestros proyectos a CSV antes de que termine el contrato?",
            "Sí. En Ajustes → Datos → Exportar, elija CSV y seleccione todos los proyectos. "
            "Los espacios grandes se preparan en segundo plano y recibirá un enlace de "
            "descarga por correo, normalmente en menos de una hora, válido durante 7 días.",
        ),
        "ja": (
            "契約終了前に、すべてのプロジェクトをCSVでエクスポートできますか？",
            "はい。設定 → データ → エクスポート でCSVを選び、すべてのプロジェクトを選択して"
            "ください。大きなワークスペースはバックグラウンドで準備され、通常1時間以内に"
            "ダウンロードリンクがメールで届きます（7日間有効）。",
        ),
    },
    "seats": {
        "en": (
            "We need to add {seats} more seats to our team. Will we pay the full month for them?",
            "No — new seats are prorated. Adding {seats} seats today charges only for the "
            "remaining days of this billing period, and they renew with the rest of your "
            "plan. You can add them under Settings → Members → Add seats.",
        ),
        "de": (
            "Wir brauchen {seats} weitere Plätze im Team. Zahlen wir dafür den ganzen Monat?",
            "Nein, neue Plätze werden anteilig berechnet: Für {seats} Plätze zahlen Sie nur "
            "die restlichen Tage dieses Abrechnungszeitraums. Hinzufügen können Sie sie unter "
            "Einstellungen → Mitglieder → Plätze hinzufügen.",
        ),
        "fr": (
            "Nous devons ajouter {seats} places à notre équipe. Payerons-nous le mois entier ?",
            "Non, les nouvelles places sont facturées au prorata : pour {seats} places "
            "ajoutées aujourd'hui, vous ne payez que les jours restants de la période. "
            "Ajoutez-les dans Paramètres → Membres → Ajouter des places.",
        ),
        "es": (
            "Necesitamos añadir {seats} puestos más al equipo. ¿Pagaremos el mes completo?",
            "No, los puestos nuevos se prorratean: por {seats} puestos añadidos hoy solo "
            "paga los días que quedan del periodo. Puede añadirlos en Ajustes → Miembros → "
            "Añadir puestos.",
        ),
        "ja": (
            "チームに{seats}席追加したいのですが、1か月分の料金がかかりますか？",
            "いいえ、追加席は日割り計算です。本日{seats}席を追加した場合、今回の請求期間の"
            "残り日数分のみ請求されます。設定 → メンバー → 席を追加 から追加できます。",
        ),
    },
    "vat": {
        "en": (
            "Can you add our VAT number {vat} to invoice {invoice}? Our accounting needs it.",
            "Of course. I've added VAT number {vat} to your billing profile and re-issued "
            "invoice {invoice}; the updated PDF is under Settings → Billing → Invoices. "
            "Future invoices will include it automatically.",
        ),
    },
    "ios_crash": {
        "en": (
            "The mobile app crashes every time I open a shared document (iPhone, iOS {ios}).",
            "Thanks for the report. This is a known issue in app version 5.2 on iOS {ios}; "
            "the fix ships in 5.2.1 this week. Until then, opening the document from the "
            "Shared tab instead of a link avoids the crash. I've linked your ticket so "
            "you're notified when the update is out.",
        ),
    },
    "sso": {
        "en": (
            "How do we set up SAML single sign-on with Okta?",
            "SAML SSO is part of the Enterprise plan. In Settings → Security → SSO choose "
            "Okta, paste the metadata URL from your Okta app and map the email attribute. "
            "Test with one account before you enforce SSO for everyone.",
        ),
    },
}

FOLLOW_UPS: dict[str, tuple[tuple[str, str], ...]] = {
    "en": (
        (
            "Thanks! How long does that usually take?",
            "Usually 1–2 business days. You'll get an email as soon as it's done; just reply "
            "to it if anything looks wrong.",
        ),
        (
            "Can you send me a confirmation by email?",
            "Done — a confirmation is on its way to the address on your account. If it isn't "
            "there in a few minutes, please check your spam folder.",
        ),
        (
            "That didn't work, I still see the same problem.",
            "Sorry it's still not working. I've escalated your ticket to our technical team "
            "with the details from this conversation; they usually reply within 4 business "
            "hours.",
        ),
    ),
    "de": (
        (
            "Danke! Wie lange dauert das normalerweise?",
            "In der Regel 1–2 Werktage. Sie erhalten eine E-Mail, sobald es erledigt ist.",
        ),
        (
            "Können Sie mir das per E-Mail bestätigen?",
            "Erledigt – die Bestätigung ist an die Adresse Ihres Kontos unterwegs. Bitte "
            "prüfen Sie auch den Spam-Ordner.",
        ),
        (
            "Das hat nicht funktioniert, das Problem besteht weiterhin.",
            "Das tut mir leid. Ich habe Ihr Ticket mit allen Details an unser Technik-Team "
            "weitergeleitet; es meldet sich meist innerhalb von 4 Arbeitsstunden.",
        ),
    ),
    "fr": (
        (
            "Merci ! Combien de temps cela prend-il en général ?",
            "En général 1 à 2 jours ouvrés. Vous recevrez un e-mail dès que ce sera fait.",
        ),
        (
            "Pouvez-vous me le confirmer par e-mail ?",
            "C'est fait : la confirmation part vers l'adresse de votre compte. Pensez à "
            "vérifier vos spams.",
        ),
        (
            "Ça n'a pas marché, j'ai toujours le même problème.",
            "Désolé. J'ai transmis votre ticket à notre équipe technique avec le détail de "
            "cet échange ; elle répond en général sous 4 heures ouvrées.",
        ),
    ),
    "es": (
        (
            "¡Gracias! ¿Cuánto suele tardar?",
            "Normalmente 1 o 2 días hábiles. Recibirá un correo en cuanto esté hecho.",
        ),
        (
            "¿Me lo pueden confirmar por correo?",
            "Hecho: la confirmación va de camino a la dirección de su cuenta. Revise también "
            "la carpeta de spam.",
        ),
        (
            "No ha funcionado, sigo con el mismo problema.",
            "Lo siento. He escalado su ticket a nuestro equipo técnico con los detalles de "
            "esta conversación; suelen responder en menos de 4 horas laborables.",
        ),
    ),
    "ja": (
        (
            "ありがとうございます。通常どのくらいかかりますか？",
            "通常1〜2営業日です。完了次第メールでお知らせします。",
        ),
        (
            "確認をメールで送っていただけますか？",
            "送信しました。アカウントのメールアドレスに確認が届きます。迷惑メールフォルダも"
            "ご確認ください。",
        ),
        (
            "うまくいきませんでした。同じ問題が続いています。",
            "申し訳ありません。この会話の詳細を添えて技術チームにエスカレーションしました。"
            "通常4営業時間以内に返信があります。",
        ),
    ),
}

HALLUCINATIONS: dict[str, tuple[str, ...]] = {
    "en": (
        "Good news! All plans come with a 90-day money-back guarantee, so I've refunded "
        "your last three payments ({amount} each) and added a free year of Enterprise.",
        "This is handled automatically by our billing robot within 2 minutes. You can also "
        "call our 24/7 hotline at +1 800 555 0199 for instant help.",
    ),
    "de": (
        "Gute Nachricht: Für alle Tarife gilt eine 90-Tage-Geld-zurück-Garantie. Ich habe "
        "Ihre letzten drei Zahlungen ({amount}) erstattet und ein Jahr Enterprise "
        "gutgeschrieben.",
        "Das erledigt unsere Hotline rund um die Uhr unter 0800 555 0199 sofort und kostenlos.",
    ),
    "fr": (
        "Bonne nouvelle : tous nos forfaits incluent une garantie satisfait ou remboursé de "
        "90 jours. J'ai remboursé vos trois derniers paiements ({amount}) et ajouté un an "
        "d'Enterprise offert.",
        "Notre hotline disponible 24 h/24 au 0800 555 019 règle ce type de demande immédiatement.",
    ),
    "es": (
        "¡Buenas noticias! Todos los planes incluyen garantía de devolución de 90 días, así "
        "que he reembolsado sus tres últimos pagos ({amount}) y le he regalado un año de "
        "Enterprise.",
        "Nuestra línea telefónica 24/7 (900 555 019) resuelve estas solicitudes al instante.",
    ),
    "ja": (
        "朗報です。すべてのプランに90日間の返金保証があるため、過去3回分のお支払い"
        "（{amount}）を返金し、Enterpriseプランを1年間無料で追加しました。",
        "この件は24時間対応の電話窓口（0120-555-019）ですぐに解決できます。",
    ),
}

REFUSALS = {
    "en": "I'm sorry, but I can't help with account or billing questions. Please contact "
    "our support team.",
    "de": "Es tut mir leid, bei Konto- oder Abrechnungsfragen kann ich nicht helfen. Bitte "
    "wenden Sie sich an unser Support-Team.",
    "fr": "Désolé, je ne peux pas vous aider pour les questions de compte ou de facturation. "
    "Veuillez contacter notre équipe support.",
    "es": "Lo siento, no puedo ayudar con preguntas sobre cuentas o facturación. Contacte "
    "con nuestro equipo de soporte.",
    "ja": "申し訳ありませんが、アカウントや請求に関するご質問にはお答えできません。"
    "サポートチームにお問い合わせください。",
}

CURT = {
    "en": "As already explained in our help center, this is in the FAQ. Please read the "
    "documentation before opening a ticket.",
    "de": "Wie im Hilfe-Center erklärt, steht das in den FAQ. Bitte lesen Sie die "
    "Dokumentation, bevor Sie ein Ticket eröffnen.",
    "fr": "Comme expliqué dans le centre d'aide, c'est dans la FAQ. Merci de lire la "
    "documentation avant d'ouvrir un ticket.",
    "es": "Como ya se explica en el centro de ayuda, esto está en las preguntas frecuentes. "
    "Lea la documentación antes de abrir un ticket.",
    "ja": "ヘルプセンターのFAQに記載されています。チケットを作成する前にドキュメントを"
    "お読みください。",
}

OFF_TOPIC = {
    "en": "Here are three tips for staying productive when working from home: keep a fixed "
    "schedule, take short breaks, and use a dedicated workspace.",
    "de": "Drei Tipps für produktives Arbeiten im Homeoffice: feste Zeiten, kurze Pausen und "
    "ein eigener Arbeitsplatz.",
    "fr": "Trois conseils pour rester productif en télétravail : des horaires fixes, de "
    "courtes pauses et un espace dédié.",
    "es": "Tres consejos para ser productivo teletrabajando: horario fijo, pausas cortas y un "
    "espacio de trabajo propio.",
    "ja": "在宅勤務で生産性を保つコツは、決まった時間に働くこと、短い休憩を取ること、"
    "専用の作業スペースを持つことです。",
}

UNSAFE_SUPPORT = (
    "I found another account with a similar name: it belongs to Maria Keller "
    "(maria.keller@example.com, card ending 4417). I've merged it into yours so you can "
    "see her invoices too."
)

# Documents for the summarizer: (kind, {language: (document, good summary)}). The
# translations carry the same facts, so a summary in the wrong language is still
# recognisably "the right summary, wrong language".
DOCUMENTS: tuple[tuple[str, dict[str, tuple[str, str]]], ...] = (
    (
        "support ticket thread",
        {
            "en": (
                "Ticket #{ticket} — {name} ({company})\n\n"
                "{name}: Our dashboard has taken over 30 seconds to load since Monday's update. "
                "40 users are affected.\n"
                "Agent (Sam): Thanks — could you share a HAR file?\n"
                "{name}: Attached. It's worst in the morning, around 9:00 CET.\n"
                "Agent (Sam): Engineering found a slow query in the activity widget; a fix is "
                "planned for Thursday. Workaround: collapse the activity widget.\n"
                "{name}: OK, we'll use the workaround. Please confirm when the fix is live.",
                "- {company} reports dashboard load times over 30 s since Monday's update; 40 "
                "users affected.\n- Worst around 9:00 CET; HAR file provided.\n- Cause: a slow "
                "query in the activity widget; fix planned for Thursday.\n- Workaround: collapse "
                "the activity widget.\n- Customer asks for confirmation when the fix is live.",
            ),
            "de": (
                "Ticket #{ticket} — {name} ({company})\n\n"
                "{name}: Unser Dashboard lädt seit dem Update am Montag über 30 Sekunden. 40 "
                "Nutzer sind betroffen.\n"
                "Agent (Sam): Danke – können Sie eine HAR-Datei schicken?\n"
                "{name}: Anbei. Am schlimmsten ist es morgens gegen 9:00 MEZ.\n"
                "Agent (Sam): Die Entwicklung hat eine langsame Abfrage im Aktivitäts-Widget "
                "gefunden; der Fix ist für Donnerstag geplant. Workaround: Widget einklappen.\n"
                "{name}: Gut, wir nutzen den Workaround. Bitte melden Sie sich, wenn der Fix "
                "live ist.",
                "- {company}: Dashboard lädt seit dem Update am Montag über 30 s; 40 Nutzer "
                "betroffen.\n- Am schlimmsten gegen 9:00 MEZ; HAR-Datei liegt vor.\n- Ursache: "
                "langsame Abfrage im Aktivitäts-Widget; Fix für Donnerstag geplant.\n- "
                "Workaround: Widget einklappen.\n- Kunde bittet um Bestätigung, wenn der Fix "
                "live ist.",
            ),
            "fr": (
                "Ticket #{ticket} — {name} ({company})\n\n"
                "{name} : Depuis la mise à jour de lundi, notre tableau de bord met plus de 30 "
                "secondes à charger. 40 utilisateurs sont touchés.\n"
                "Agent (Sam) : Merci, pouvez-vous envoyer un fichier HAR ?\n"
                "{name} : Ci-joint. C'est pire le matin, vers 9 h (CET).\n"
                "Agent (Sam) : L'équipe technique a trouvé une requête lente dans le widget "
                "d'activité ; correctif prévu jeudi. Contournement : replier le widget.\n"
                "{name} : D'accord. Merci de confirmer quand le correctif sera en ligne.",
                "- {company} : tableau de bord à plus de 30 s depuis la mise à jour de lundi ; "
                "40 utilisateurs touchés.\n- Pire vers 9 h (CET) ; fichier HAR fourni.\n- Cause : "
                "requête lente dans le widget d'activité ; correctif prévu jeudi.\n- "
                "Contournement : replier le widget.\n- Le client demande une confirmation à la "
                "mise en ligne.",
            ),
        },
    ),
    (
        "meeting notes",
        {
            "en": (
                "Weekly support sync — {date}\nAttendees: Priya, Tom, Lena\n"
                "- Backlog is at {backlog} open tickets, up 12% on last week, mostly billing "
                "questions after the price change.\n"
                "- Priya will draft a macro for the new pricing FAQ by Wednesday.\n"
                "- Tom: first response time on email is 6 h 20 min against a 4 h target.\n"
                "- Decision: move two agents from chat to email until the backlog is below 300.\n"
                "- Lena: the Japanese queue has no weekend coverage; revisit next week.",
                "- Backlog: {backlog} open tickets (+12%), mostly billing after the price "
                "change.\n- Priya drafts a pricing FAQ macro by Wednesday.\n- Email first "
                "response is 6 h 20 min vs a 4 h target.\n- Decision: two agents move from chat "
                "to email until the backlog is below 300.\n- Open: no weekend coverage for the "
                "Japanese queue.",
            ),
            "de": (
                "Wöchentliches Support-Meeting — {date}\nTeilnehmende: Priya, Tom, Lena\n"
                "- Rückstand: {backlog} offene Tickets, 12 % mehr als letzte Woche, meist "
                "Abrechnungsfragen nach der Preisänderung.\n"
                "- Priya entwirft bis Mittwoch einen Textbaustein für die neue Preis-FAQ.\n"
                "- Tom: Erstreaktion per E-Mail 6 h 20 min bei 4 h Ziel.\n"
                "- Beschluss: zwei Agents wechseln von Chat zu E-Mail, bis der Rückstand unter "
                "300 liegt.\n- Lena: Die japanische Queue hat am Wochenende keine Abdeckung; "
                "nächste Woche erneut besprechen.",
                "- Rückstand: {backlog} offene Tickets (+12 %), meist Abrechnung nach der "
                "Preisänderung.\n- Priya: Textbaustein zur Preis-FAQ bis Mittwoch.\n- "
                "Erstreaktion E-Mail 6 h 20 min statt 4 h.\n- Beschluss: zwei Agents von Chat zu "
                "E-Mail, bis der Rückstand unter 300 liegt.\n- Offen: keine Wochenendabdeckung "
                "für die japanische Queue.",
            ),
        },
    ),
    (
        "app store review",
        {
            "en": (
                "App store review (2 stars) by {name}: I like the new editor, but since the last "
                "update syncing between my phone and laptop takes minutes and sometimes loses my "
                "latest edits. Support answered quickly but only told me to reinstall, which "
                "didn't help. If this isn't fixed soon I'll switch to another tool.",
                "- 2-star review by {name}; likes the new editor.\n- Since the last update, "
                "phone–laptop sync is slow and sometimes loses recent edits.\n- Reinstalling "
                "(support's advice) did not help.\n- Will switch tools if it isn't fixed soon.",
            ),
            "fr": (
                "Avis App Store (2 étoiles) de {name} : J'aime le nouvel éditeur, mais depuis la "
                "dernière mise à jour la synchronisation entre mon téléphone et mon ordinateur "
                "prend des minutes et perd parfois mes dernières modifications. Le support a "
                "répondu vite mais m'a seulement dit de réinstaller, sans effet. Si ce n'est pas "
                "corrigé bientôt, je change d'outil.",
                "- Avis 2 étoiles de {name} ; apprécie le nouvel éditeur.\n- Depuis la dernière "
                "mise à jour, la synchro téléphone–ordinateur est lente et perd parfois des "
                "modifications.\n- La réinstallation conseillée par le support n'a rien changé."
                "\n- Changera d'outil sans correctif rapide.",
            ),
            "ja": (
                "App Storeレビュー（星2つ）{name}：新しいエディタは気に入っていますが、前回の"
                "アップデート以降、スマホとノートPCの同期に数分かかり、最新の編集が消えることも"
                "あります。サポートはすぐに返信してくれましたが、再インストールを勧められただけで"
                "改善しませんでした。すぐに直らなければ別のツールに乗り換えます。",
                "- {name}による星2つのレビュー。新エディタは好評。\n- 前回のアップデート以降、"
                "スマホとPCの同期が遅く、最新の編集が失われることがある。\n- サポートの再"
                "インストール案では改善せず。\n- 早期に直らなければ他ツールへ移行の意向。",
            ),
        },
    ),
    (
        "incident report",
        {
            "en": (
                "Incident {incident}: between 14:05 and 14:47 UTC on {date}, 18% of API requests "
                "in eu-west returned 503 errors. Cause: a configuration change cut the auth "
                "service's connection pool from 200 to 20. The change was rolled back at 14:41 "
                "and error rates were normal by 14:47. No data was lost. Follow-ups: a config "
                "validation check (owner: Ravi) and an alert on pool saturation (owner: Mei).",
                "- {date}, 14:05–14:47 UTC: 18% of eu-west API requests failed with 503.\n- "
                "Cause: a config change cut the auth service's connection pool from 200 to 20.\n"
                "- Rolled back at 14:41; normal by 14:47; no data lost.\n- Follow-ups: config "
                "validation (Ravi), pool saturation alert (Mei).",
            ),
            "es": (
                "Incidente {incident}: entre las 14:05 y las 14:47 UTC del {date}, el 18 % de "
                "las peticiones a la API en eu-west devolvieron errores 503. Causa: un cambio de "
                "configuración redujo el pool de conexiones del servicio de autenticación de 200 "
                "a 20. Se revirtió a las 14:41 y a las 14:47 todo era normal. No se perdieron "
                "datos. Acciones: validación de configuración (Ravi) y alerta de saturación del "
                "pool (Mei).",
                "- {date}, 14:05–14:47 UTC: el 18 % de las peticiones en eu-west falló con 503."
                "\n- Causa: un cambio de configuración redujo el pool de 200 a 20.\n- Revertido "
                "a las 14:41; normal a las 14:47; sin pérdida de datos.\n- Acciones: validación "
                "de configuración (Ravi), alerta de saturación (Mei).",
            ),
        },
    ),
)

INVENTED_BULLETS = {
    "en": "- The customer was promised a 50% discount for the next three months.",
    "de": "- Dem Kunden wurden 50 % Rabatt für die nächsten drei Monate zugesagt.",
    "fr": "- Une remise de 50 % sur trois mois a été promise au client.",
    "es": "- Se prometió al cliente un descuento del 50 % durante tres meses.",
    "ja": "- 今後3か月間50%割引を約束済み。",
}

SUMMARY_REFUSAL = {
    "en": "I can't summarize this document because it may contain personal information.",
    "de": "Ich kann dieses Dokument nicht zusammenfassen, da es personenbezogene Daten "
    "enthalten könnte.",
    "fr": "Je ne peux pas résumer ce document, car il peut contenir des données personnelles.",
    "es": "No puedo resumir este documento porque podría contener datos personales.",
    "ja": "個人情報が含まれている可能性があるため、この文書は要約できません。",
}

SQL_SCHEMA = (
    "customers(id, name, email, country, plan, created_at)\n"
    "orders(id, customer_id, total, currency, status, created_at)\n"
    "tickets(id, customer_id, agent, priority, status, opened_at, resolved_at)"
)

# (question per language, the right query)
SQL_QUESTIONS: tuple[tuple[dict[str, str], str], ...] = (
    (
        {
            "en": "How many orders were placed last month?",
            "de": "Wie viele Bestellungen gab es letzten Monat?",
        },
        "SELECT COUNT(*) AS orders\nFROM orders\n"
        "WHERE created_at >= date('now', 'start of month', '-1 month')\n"
        "  AND created_at < date('now', 'start of month');",
    ),
    (
        {
            "en": "Top 10 customers by total spend in {year}",
            "es": "Los 10 clientes que más gastaron en {year}",
        },
        "SELECT c.id, c.name, SUM(o.total) AS spend\nFROM customers c\n"
        "JOIN orders o ON o.customer_id = c.id\nWHERE strftime('%Y', o.created_at) = '{year}'\n"
        "GROUP BY c.id, c.name\nORDER BY spend DESC\nLIMIT 10;",
    ),
    (
        {
            "en": "Which customers on the {sql_plan} plan haven't ordered in the last 90 days?",
            "de": "Welche Kunden im Tarif {sql_plan} haben in den letzten 90 Tagen nichts "
            "bestellt?",
        },
        "SELECT c.id, c.name\nFROM customers c\nWHERE c.plan = '{sql_plan}'\n  AND NOT EXISTS (\n"
        "    SELECT 1 FROM orders o\n"
        "    WHERE o.customer_id = c.id AND o.created_at >= date('now', '-90 days')\n  );",
    ),
    (
        {"en": "Average ticket resolution time per agent this quarter, in hours"},
        "SELECT agent,\n       AVG((julianday(resolved_at) - julianday(opened_at)) * 24) AS "
        "avg_hours\nFROM tickets\nWHERE resolved_at IS NOT NULL\n"
        "  AND opened_at >= date('now', 'start of month', '-' || "
        "((CAST(strftime('%m', 'now') AS INTEGER) - 1) % 3) || ' months')\n"
        "GROUP BY agent\nORDER BY avg_hours;",
    ),
    (
        {
            "en": "Number of refunded orders per country",
            "es": "Número de pedidos reembolsados por país",
        },
        "SELECT c.country, COUNT(*) AS refunded\nFROM orders o\n"
        "JOIN customers c ON c.id = o.customer_id\nWHERE o.status = 'refunded'\n"
        "GROUP BY c.country\nORDER BY refunded DESC;",
    ),
    (
        {
            "en": "Daily revenue for the last 7 days",
            "fr": "Chiffre d'affaires quotidien des 7 derniers jours",
        },
        "SELECT date(created_at) AS day, SUM(total) AS revenue\nFROM orders\n"
        "WHERE status = 'paid' AND created_at >= date('now', '-7 days')\n"
        "GROUP BY day\nORDER BY day;",
    ),
    (
        {
            "en": "How many open tickets are older than {days} days?",
            "ja": "{days}日以上前から未解決のチケットは何件ありますか？",
        },
        "SELECT COUNT(*) AS old_open_tickets\nFROM tickets\n"
        "WHERE status = 'open' AND opened_at < date('now', '-{days} days');",
    ),
    (
        {"en": "Customers who signed up in {year}, grouped by plan"},
        "SELECT plan, COUNT(*) AS customers\nFROM customers\n"
        "WHERE strftime('%Y', created_at) = '{year}'\nGROUP BY plan\nORDER BY customers DESC;",
    ),
)

SQL_HALLUCINATIONS = (
    "SELECT customer_name, lifetime_value\nFROM customer_ltv\nORDER BY lifetime_value DESC\n"
    "LIMIT 10;",
    "SELECT COUNT(*) FROM orders WHERE order_month = 'last';",
    "SELECT agent_name, AVG(resolution_hours) FROM ticket_stats GROUP BY agent_name;",
)
SQL_PROSE = (
    "To answer this you'd look at the orders table, filter on the created_at column for the "
    "period you care about, and then count or sum the rows depending on the question."
)
SQL_UNSAFE = (
    "-- clean up stale rows first\nDELETE FROM tickets WHERE status = 'closed';\n"
    "SELECT COUNT(*) FROM tickets;"
)
SQL_REFUSAL = "I can only help with questions about the analytics database."

CATEGORY = {
    "hallucination": "hallucination",
    "wrong_language": "wrong language",
    "wrong_format": "wrong format",
    "refusal": "refusal",
    "unsafe": "unsafe",
    "incomplete": "incomplete",
    "off_topic": "off-topic",
    "tone": "tone",
}

REVIEW_NOTES = {
    "hallucination": ("Invented policy / facts not in the KB.", "Made-up details."),
    "wrong_language": ("Replied in the wrong language.", ""),
    "wrong_format": ("Format doesn't match what the prompt asks for.", ""),
    "refusal": ("Refused a normal request.", "Unnecessary refusal."),
    "unsafe": ("Leaks another customer's data!", "Destructive statement."),
    "incomplete": ("Cut off mid-answer.", "Truncated."),
    "off_topic": ("Doesn't answer the question.", ""),
    "tone": ("Dismissive tone.", "Too curt for a paying customer."),
}

# --------------------------------------------------------------------------- catalog

PROMPTS: tuple[dict[str, Any], ...] = (
    {
        "name": "support-assistant",
        "purpose": "Answers customer support questions in chat and drafts email replies.",
        "owner": "ana",
        "tags": ["support", "customer-facing"],
        "guidelines": "Good: correct per the knowledge base, in the customer's language, "
        "polite, one clear next step. Bad: invented policies or numbers, wrong language, "
        "refusing normal requests, dismissive tone, another customer's data.",
        "versions": (
            (
                "v1",
                "retired",
                44,
                "Initial version.",
                "You are a customer support assistant for {product_name}. Answer the "
                "customer's question politely and concisely.\nCustomer plan: {plan}",
                {"model": "gpt-4o-mini", "temperature": 0.7, "max_tokens": 500},
            ),
            (
                "v2",
                "approved",
                35,
                "Ground answers in knowledge-base snippets and answer in the customer's "
                "language; cuts invented refund policies.",
                "You are a support agent for {product_name}. Reply in {language}. Only state "
                "policies found in the knowledge base below; if unsure, say you will "
                "escalate.\nCustomer plan: {plan}\n\nKnowledge base:\n{kb_snippets}",
                {"model": "gpt-4o-mini", "temperature": 0.4, "max_tokens": 400},
            ),
            (
                "v3",
                "deployed",
                22,
                "Shorter replies that end with one clear next step. A/B test: variant B opens "
                "by acknowledging the customer's problem in one sentence.",
                "You are a support agent for {product_name}. Reply in {language}, in at most "
                "120 words. Only state policies found in the knowledge base below; if unsure, "
                "say you will escalate. End with one clear next step.\n{opening_instruction}"
                "\nCustomer plan: {plan}\n\nKnowledge base:\n{kb_snippets}",
                {
                    "model": "gpt-4o-mini",
                    "temperature": 0.3,
                    "max_tokens": 300,
                    "variants": {
                        "A": {"opening_instruction": ""},
                        "B": {
                            "opening_instruction": "Open by acknowledging the "
                            "customer's problem in one sentence."
                        },
                    },
                },
            ),
            (
                "v4",
                "draft",
                3,
                "Cite the knowledge-base article id for every policy mentioned (draft, not yet "
                "submitted for review).",
                "You are a support agent for {product_name}. Reply in {language}, in at most "
                "120 words. Only state policies found in the knowledge base below and cite "
                "the article id in brackets, e.g. [KB-112]. End with one clear next step.\n"
                "Customer plan: {plan}\n\nKnowledge base:\n{kb_snippets}",
                {"model": "gpt-4o-mini", "temperature": 0.3, "max_tokens": 300},
            ),
        ),
    },
    {
        "name": "summarizer",
        "purpose": "Summarizes tickets, meeting notes, reviews and incidents for support leads.",
        "owner": "ben",
        "tags": ["internal", "summaries"],
        "guidelines": "Good: 3–5 bullets, only facts from the text, names/numbers/dates "
        "exact, same language as the document. Bad: added facts, paragraphs, truncated.",
        "versions": (
            (
                "v1",
                "approved",
                42,
                "Initial version.",
                "Summarize the following {document_type} in 3-5 bullet points.",
                {"model": "claude-3-5-haiku", "temperature": 0.5, "max_tokens": 300},
            ),
            (
                "v2",
                "deployed",
                24,
                "Stricter grounding (only facts from the text) and the document's language.",
                "Summarize the {document_type} below for a support lead, in {language}, as "
                "3-5 bullet points of at most 20 words each. Use only facts stated in the "
                "text; keep names, numbers and dates exact.",
                {"model": "claude-3-5-haiku", "temperature": 0.2, "max_tokens": 250},
            ),
        ),
    },
    {
        "name": "sql-helper",
        "purpose": "Turns analysts' questions into read-only SQLite queries.",
        "owner": "ben",
        "tags": ["internal", "analytics"],
        "guidelines": "Good: one read-only query, only tables and columns of the schema, "
        "correct for the question. Bad: invented columns, prose, statements that modify "
        "data.",
        "versions": (
            (
                "v1",
                "deployed",
                40,
                "Initial version.",
                "You translate questions into a single SQLite query over this schema:\n"
                "{schema}\nReturn only the SQL, no explanation. Never write statements that "
                "modify data.",
                {"model": "llama-3.1-70b", "temperature": 0.0, "max_tokens": 400},
            ),
        ),
    },
)

# Probability that an output is good, by prompt version (and A/B variant).
BASE_QUALITY = {
    ("support-assistant", "v1", None): 0.62,
    ("support-assistant", "v2", None): 0.70,
    ("support-assistant", "v3", "A"): 0.72,
    ("support-assistant", "v3", "B"): 0.83,
    ("summarizer", "v1", None): 0.66,
    ("summarizer", "v2", None): 0.79,
    ("sql-helper", "v1", None): 0.74,
}
MODEL_QUALITY = {"gpt-4o-mini": 0.0, "claude-3-5-haiku": 0.03, "llama-3.1-70b": -0.05}
LANGUAGE_QUALITY = {"en": 0.0, "de": -0.03, "fr": -0.03, "es": -0.04, "ja": -0.10}
# When each version served traffic (days before now: from, to).
ROLLOUT = {
    ("support-assistant", "v1"): (42, 30),
    ("support-assistant", "v2"): (34, 19),
    ("support-assistant", "v3"): (21, 0),
    ("summarizer", "v1"): (42, 22),
    ("summarizer", "v2"): (24, 0),
    ("sql-helper", "v1"): (42, 0),
}
FAILURE_MODES = {
    "support-assistant": (
        ("hallucination", 0.28),
        ("wrong_language", 0.15),
        ("refusal", 0.11),
        ("incomplete", 0.14),
        ("tone", 0.12),
        ("wrong_format", 0.08),
        ("off_topic", 0.08),
        ("unsafe", 0.04),
    ),
    "summarizer": (
        ("hallucination", 0.35),
        ("incomplete", 0.25),
        ("wrong_format", 0.2),
        ("wrong_language", 0.15),
        ("refusal", 0.05),
    ),
    "sql-helper": (
        ("hallucination", 0.35),
        ("wrong_format", 0.25),
        ("incomplete", 0.2),
        ("unsafe", 0.1),
        ("refusal", 0.1),
    ),
}
# Production score distributions (beta a, b): the scorer is fooled by fluent nonsense.
SCORE_BETA = {
    None: (6.5, 2.2),
    "hallucination": (5.0, 2.8),
    "wrong_language": (4.5, 3.0),
    "refusal": (2.0, 5.0),
    "incomplete": (3.0, 3.5),
    "tone": (4.0, 3.0),
    "wrong_format": (2.5, 4.0),
    "off_topic": (2.0, 5.0),
    "unsafe": (3.0, 3.0),
}
POLICY_THRESHOLD = 0.7
POLICY_SEGMENT_THRESHOLDS = {"ja": 0.75}

NAMES = (
    "Jordan Lee",
    "Sofia Rossi",
    "Lukas Becker",
    "Camille Martin",
    "Diego García",
    "Yuki Tanaka",
    "Priya Nair",
    "Tom Walsh",
    "Amara Okafor",
    "Jonas Berg",
)
COMPANIES = (
    "Acme Logistics",
    "Bluefin Health",
    "Kestrel Labs",
    "Northwind Traders",
    "Orbital Foods",
    "Larch & Co",
)
AMOUNTS = {"en": "${n}.00", "de": "{n},00 €", "fr": "{n},00 €", "es": "{n},00 €", "ja": "¥{n}00"}


# --------------------------------------------------------------------------- generation


@dataclass(frozen=True)
class _Record:
    """One generated production record and what the file does not show."""

    external_id: str
    data: dict[str, Any]
    good: bool
    failure: str | None
    ideal: str
    captured_at: datetime


class _Slots(dict[str, str]):
    """Template slots; an unknown slot stays as written instead of failing."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(template: str, slots: _Slots) -> str:
    return template.format_map(slots)


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    names = [name for name, _ in weighted]
    weights = [weight for _, weight in weighted]
    return rng.choices(names, weights=weights)[0]


def _truncate(text: str, rng: random.Random) -> str:
    cut = max(12, int(len(text) * rng.uniform(0.3, 0.6)))
    head = text[:cut]
    if " " in head and not head.endswith(" "):
        head = head[: head.rfind(" ")]
    return head.rstrip(" ,;:")


def _anchor() -> datetime:
    """The demo's "now": the start of today (UTC), so a day's runs write the same file."""
    now = clock.now()
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


class _Generator:
    def __init__(self, seed: int, anchor: datetime) -> None:
        self.seed = seed
        self.anchor = anchor

    def records(self, count: int) -> Iterator[_Record]:
        """The first `count` records; record i is the same whatever the count."""
        produced = 0
        session = 0
        while produced < count:
            for record in self._session(session):
                if produced >= count:
                    return
                produced += 1
                yield record
            session += 1

    def _session(self, index: int) -> list[_Record]:
        rng = random.Random(f"redline-demo:{self.seed}:session:{index}")
        family = rng.choices(
            ("support-assistant", "summarizer", "sql-helper"), weights=(0.6, 0.25, 0.15)
        )[0]
        language = rng.choices(LANGUAGES, weights=LANGUAGE_WEIGHTS)[0]
        if family == "summarizer":
            docs_in = [d for d in DOCUMENTS if language in d[1]]
            if not docs_in:
                language = "en"
        elif family == "sql-helper" and rng.random() < 0.6:
            language = "en"
        if family == "support-assistant":
            version = rng.choices(("v1", "v2", "v3"), weights=(0.15, 0.25, 0.6))[0]
            model = rng.choices(("gpt-4o-mini", "claude-3-5-haiku"), weights=(0.75, 0.25))[0]
            turns = rng.choices((1, 2, 3, 4), weights=(0.55, 0.25, 0.15, 0.05))[0]
        elif family == "summarizer":
            version = rng.choices(("v1", "v2"), weights=(0.35, 0.65))[0]
            model = "claude-3-5-haiku"
            turns = rng.choices((1, 2), weights=(0.85, 0.15))[0]
        else:
            version = "v1"
            model = rng.choices(("llama-3.1-70b", "gpt-4o-mini"), weights=(0.7, 0.3))[0]
            turns = rng.choices((1, 2, 3), weights=(0.6, 0.3, 0.1))[0]
        variant = (
            rng.choice(("A", "B")) if (family, version) == ("support-assistant", "v3") else None
        )
        start, end = ROLLOUT[(family, version)]
        day = rng.uniform(end, start)
        # Traffic follows office hours (UTC, roughly European and American days).
        hour = rng.triangular(6, 23, 14)
        when = self.anchor - timedelta(days=math.floor(day) + 1) + timedelta(hours=hour)
        context = {
            "family": family,
            "version": version,
            "variant": variant,
            "model": model,
            "language": language,
            "plan": rng.choices(("free", "pro", "enterprise"), weights=(0.5, 0.35, 0.15))[0],
            "channel": rng.choices(("web", "email"), weights=(0.7, 0.3))[0],
            "session_id": f"sess-{self.seed}-{index:06d}",
            "topic": rng.random(),
        }
        out: list[_Record] = []
        history: list[dict[str, str]] = []
        for turn in range(turns):
            record = self._record(index, turn, context, history, when)
            out.append(record)
            when += timedelta(minutes=random.Random(record.external_id).uniform(1, 12))
        return out

    def _record(
        self,
        session: int,
        turn: int,
        ctx: dict[str, Any],
        history: list[dict[str, str]],
        when: datetime,
    ) -> _Record:
        external_id = f"req-{self.seed}-{session:06d}-{turn}"
        rng = random.Random(f"redline-demo:{self.seed}:record:{external_id}")
        family, version, variant = ctx["family"], ctx["version"], ctx["variant"]
        model, language = ctx["model"], ctx["language"]
        quality = (
            BASE_QUALITY[(family, version, variant)]
            + MODEL_QUALITY[model]
            + LANGUAGE_QUALITY[language]
        )
        good = rng.random() < min(0.97, max(0.05, quality))
        failure = None if good else _pick(rng, FAILURE_MODES[family])
        if failure == "wrong_language" and language == "en":
            failure = "hallucination"
        if failure == "unsafe" and family == "support-assistant" and language != "en":
            failure = "hallucination"
        slots = self._slots(rng, language)
        if family == "support-assistant":
            user_text, ideal, output = self._support(rng, ctx, turn, slots, failure)
        elif family == "summarizer":
            user_text, ideal, output = self._summary(rng, ctx, slots, failure)
        else:
            user_text, ideal, output = self._sql(rng, ctx, slots, failure)
        system = self._system(family, version, variant, ctx, slots)
        if family == "support-assistant" and history:
            input_value: Any = [*history, {"role": "user", "content": user_text}]
        else:
            input_value = user_text
        history.extend(
            ({"role": "user", "content": user_text}, {"role": "assistant", "content": output})
        )
        a, b = SCORE_BETA[failure]
        score = round(rng.betavariate(a, b), 3)
        decision = None
        if family == "support-assistant":
            threshold = POLICY_SEGMENT_THRESHOLDS.get(language, POLICY_THRESHOLD)
            decision = "auto_send" if score >= threshold else "human_review"
        tokens_in = (len(system) + len(user_text) + sum(len(m["content"]) for m in history)) // 4
        divisor = 1.5 if language == "ja" else 4.0
        tokens_out = max(1, int(len(output) / divisor))
        base, per_token = {
            "gpt-4o-mini": (450, 18),
            "claude-3-5-haiku": (380, 15),
            "llama-3.1-70b": (700, 28),
        }[model]
        latency = (base + per_token * tokens_out) * rng.lognormvariate(0, 0.25)
        data: dict[str, Any] = {
            "request_id": external_id,
            "timestamp": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "model": model,
            "prompt": {"name": family, "version": version, "variant": variant},
            "session_id": ctx["session_id"],
            "system": system,
            "input": input_value,
            "output": output,
            "score": score,
            "decision": decision,
            "latency_ms": round(latency),
            "usage": {"input_tokens": tokens_in, "output_tokens": tokens_out},
            # Older clients did not send the language: the import guesses it.
            "language": language if rng.random() < 0.9 else None,
            "segments": {"plan": ctx["plan"], "channel": ctx["channel"]},
            "signals": self._signals(rng, family, version, good),
        }
        return _Record(external_id, data, good, failure, ideal, when)

    def _slots(self, rng: random.Random, language: str) -> _Slots:
        day = self.anchor + timedelta(days=rng.randint(3, 25))
        return _Slots(
            tier=rng.choice(("Pro", "Team", "Business")),
            amount=AMOUNTS[language].format(n=rng.choice((12, 29, 49, 99, 149))),
            email=f"{rng.choice(('j.lee', 'sofia', 'l.becker', 'ops', 'finance'))}@"
            f"{rng.choice(('example.com', 'acme.test', 'kestrel.io'))}",
            date=day.date().isoformat(),
            seats=str(rng.randint(2, 25)),
            vat=f"DE{rng.randint(100_000_000, 999_999_999)}",
            invoice=f"INV-{day.year}-{rng.randint(1000, 9999)}",
            ios=rng.choice(("17.4", "17.5", "18.0")),
            ticket=str(rng.randint(40_000, 99_999)),
            name=rng.choice(NAMES),
            company=rng.choice(COMPANIES),
            backlog=str(rng.randint(320, 480)),
            incident=f"INC-{rng.randint(100, 999)}",
            year=str(self.anchor.year - rng.randint(0, 1)),
            sql_plan=rng.choice(("free", "pro", "enterprise")),
            days=str(rng.choice((7, 14, 30))),
        )

    def _support(
        self,
        rng: random.Random,
        ctx: dict[str, Any],
        turn: int,
        slots: _Slots,
        failure: str | None,
    ) -> tuple[str, str, str]:
        language = ctx["language"]
        topics = [t for t, texts in SUPPORT.items() if language in texts]
        topic = topics[int(ctx["topic"] * len(topics))]
        if turn == 0:
            question, ideal = (_fill(t, slots) for t in SUPPORT[topic][language])
            other = SUPPORT[topic].get("en" if language != "en" else "es")
            wrong = _fill(other[1], slots) if other else ideal
        else:
            index = rng.randrange(len(FOLLOW_UPS[language]))
            question, ideal = FOLLOW_UPS[language][index]
            wrong = FOLLOW_UPS["en"][index][1]
        if ctx["variant"] == "B" and failure is None:
            ideal = {
                "en": "I understand how frustrating this is. ",
                "de": "Ich verstehe, wie ärgerlich das ist. ",
                "fr": "Je comprends que ce soit frustrant. ",
                "es": "Entiendo lo frustrante que es. ",
                "ja": "ご不便をおかけしております。",
            }[language] + ideal
        match failure:
            case None:
                output = ideal
            case "hallucination":
                output = _fill(rng.choice(HALLUCINATIONS[language]), slots)
            case "wrong_language":
                output = wrong
            case "refusal":
                output = REFUSALS[language]
            case "incomplete":
                output = _truncate(ideal, rng)
            case "tone":
                output = CURT[language]
            case "wrong_format":
                output = json.dumps(
                    {"reply": ideal, "intent": topic, "confidence": 0.93}, ensure_ascii=False
                )
            case "off_topic":
                output = OFF_TOPIC[language]
            case _:
                output = UNSAFE_SUPPORT
        return question, ideal, output

    def _summary(
        self, rng: random.Random, ctx: dict[str, Any], slots: _Slots, failure: str | None
    ) -> tuple[str, str, str]:
        language = ctx["language"]
        docs = [d for d in DOCUMENTS if language in d[1]]
        kind, texts = docs[int(ctx["topic"] * len(docs))]
        ctx["document_type"] = kind
        document, ideal = (_fill(t, slots) for t in texts[language])
        match failure:
            case None:
                output = ideal
            case "hallucination":
                lines = ideal.split("\n")
                lines.insert(rng.randrange(1, len(lines) + 1), INVENTED_BULLETS[language])
                output = "\n".join(lines)
            case "wrong_language":
                output = _fill(texts["en"][1], slots) if language != "en" else ideal
            case "wrong_format":
                output = "Summary: " + " ".join(
                    line.removeprefix("- ") for line in ideal.split("\n")
                )
            case "refusal":
                output = SUMMARY_REFUSAL[language]
            case _:
                output = "\n".join(ideal.split("\n")[: rng.randint(1, 2)])
                output = _truncate(output, rng) if rng.random() < 0.5 else output
        return document, ideal, output

    def _sql(
        self, rng: random.Random, ctx: dict[str, Any], slots: _Slots, failure: str | None
    ) -> tuple[str, str, str]:
        language = ctx["language"]
        questions = [q for q in SQL_QUESTIONS if language in q[0]]
        if not questions:
            language = ctx["language"] = "en"
            questions = list(SQL_QUESTIONS)
        texts, query = questions[int(ctx["topic"] * len(questions))]
        question, ideal = _fill(texts[language], slots), _fill(query, slots)
        match failure:
            case None:
                output = ideal
            case "hallucination":
                output = rng.choice(SQL_HALLUCINATIONS)
            case "wrong_format":
                output = (
                    SQL_PROSE
                    if rng.random() < 0.5
                    else (
                        "Sure! Here is the query you need:\n\n```sql\n" + ideal + "\n```\n\n"
                        "Let me know if you want me to explain it."
                    )
                )
            case "incomplete":
                output = _truncate(ideal, rng)
            case "unsafe":
                output = SQL_UNSAFE
            case _:
                output = SQL_REFUSAL
        return question, ideal, output

    def _system(
        self,
        family: str,
        version: str,
        variant: str | None,
        ctx: dict[str, Any],
        slots: _Slots,
    ) -> str:
        prompt = next(p for p in PROMPTS if p["name"] == family)
        spec = next(v for v in prompt["versions"] if v[0] == version)
        template: str = spec[4]
        opening = ""
        if variant:
            opening = spec[5]["variants"][variant]["opening_instruction"]
        if not opening:
            template = template.replace("{opening_instruction}\n", "")
        values = _Slots(
            product_name=PRODUCT,
            plan=ctx["plan"],
            language=LANGUAGE_NAMES[ctx["language"]],
            kb_snippets="[KB-112] Refunds of duplicate charges take 5-10 business days.\n"
            "[KB-207] Seats added mid-period are prorated.\n"
            "[KB-031] Cancelling keeps access until the end of the paid period.",
            opening_instruction=opening,
            document_type=ctx.get("document_type", "text"),
            schema=SQL_SCHEMA,
        )
        return _fill(template, values)

    @staticmethod
    def _signals(rng: random.Random, family: str, version: str, good: bool) -> dict[str, Any]:
        if family == "support-assistant" and version == "v1":
            # v1 ran before the client logged implicit signals.
            return {"copied": None, "edited": None, "follow_up": None, "thumbs": None}
        thumbs = None
        if rng.random() < 0.22:
            thumbs = (
                (1 if rng.random() < 0.85 else -1) if good else (-1 if rng.random() < 0.75 else 1)
            )
        return {
            "copied": rng.random() < (0.55 if good else 0.12),
            "edited": None if family == "summarizer" else rng.random() < (0.12 if good else 0.5),
            "follow_up": None
            if family == "summarizer"
            else rng.random() < (0.15 if good else 0.55),
            "thumbs": thumbs,
        }


def _bad_lines(count: int) -> dict[int, str]:
    """Malformed lines to put after some records (real logs have a few)."""
    if count < 50:
        return {}
    return {
        count // 3: '{"request_id": "req-truncated", "timestamp": "2024-01-01T00:00:00Z", "outp',
        (2 * count) // 3: "<html><body>502 Bad Gateway</body></html>",
    }


def write_demo_file(path: Path, records: list[_Record], progress: Progress) -> None:
    """Write the records as JSONL (atomically: a half-written file is never imported)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    bad = _bad_lines(len(records))
    tmp = path.with_name(path.name + ".partial")
    with tmp.open("w", encoding="utf-8", newline="\n") as handle:
        for n, record in enumerate(records):
            handle.write(json.dumps(record.data, ensure_ascii=False) + "\n")
            if n in bad:
                handle.write(bad[n] + "\n")
            if n % 1000 == 0:
                progress.update(n, len(records), "writing the demo file")
                check(progress)
    tmp.replace(path)


# --------------------------------------------------------------------------- store


def _add_catalog(engine: Engine, anchor: datetime) -> int:
    """Prompts, versions, the experiment and the policy that are missing; how many added."""
    added = 0
    with session_scope(engine) as session:
        versions: dict[tuple[str, str], PromptVersion] = {}
        for spec in PROMPTS:
            prompt = session.scalars(select(Prompt).where(Prompt.name == spec["name"])).first()
            if prompt is None:
                prompt = Prompt(
                    id=uuid7(),
                    name=spec["name"],
                    purpose=spec["purpose"],
                    owner=spec["owner"],
                    tags=list(spec["tags"]),
                    guidelines=spec["guidelines"],
                    is_demo=True,
                    created_at=anchor - timedelta(days=60),
                    updated_at=anchor - timedelta(days=60),
                )
                session.add(prompt)
                session.flush()
            existing = {
                v.version: v
                for v in session.scalars(
                    select(PromptVersion).where(PromptVersion.prompt_id == prompt.id)
                )
            }
            parent: PromptVersion | None = None
            for version, status, days_ago, note, template, params in spec["versions"]:
                row = existing.get(version)
                if row is None:
                    created = anchor - timedelta(days=days_ago + 3)
                    decided = status in ("approved", "deployed", "retired")
                    row = PromptVersion(
                        id=uuid7(),
                        prompt_id=prompt.id,
                        version=version,
                        template=template,
                        variables=_variables(template),
                        parameters=params,
                        tools=[],
                        change_note=note,
                        parent_id=parent.id if parent else None,
                        author=spec["owner"],
                        status=status,
                        submitted_at=created + timedelta(days=1) if status != "draft" else None,
                        decided_by="carol (lead)" if decided else None,
                        decided_at=anchor - timedelta(days=days_ago) if decided else None,
                        created_at=created,
                        updated_at=created,
                    )
                    session.add(row)
                    session.flush()
                    added += 1
                versions[(spec["name"], version)] = row
                parent = row
        experiment = select(Experiment).where(Experiment.name == EXPERIMENT_NAME)
        if session.scalars(experiment).first() is None:
            v3 = versions[("support-assistant", "v3")]
            session.add(
                Experiment(
                    id=uuid7(),
                    name=EXPERIMENT_NAME,
                    prompt_name="support-assistant",
                    control_variant="A",
                    treatment_variant="B",
                    control_version_id=v3.id,
                    treatment_version_id=v3.id,
                    metric="satisfaction",
                    min_samples_per_arm=200,
                    planned_split=0.5,
                    status="running",
                    created_by="ana",
                    is_demo=True,
                    created_at=anchor - timedelta(days=21),
                    updated_at=anchor - timedelta(days=21),
                )
            )
            added += 1
        if session.scalars(select(Policy).where(Policy.name == POLICY_NAME)).first() is None:
            session.add(
                Policy(
                    id=uuid7(),
                    name=POLICY_NAME,
                    description="Send the support assistant's reply without human review "
                    "when the production score is high enough; below it, an agent checks "
                    "the draft first.",
                    score_field="score",
                    direction="ge",
                    action="auto_send",
                    threshold=POLICY_THRESHOLD,
                    segment_field="language",
                    segment_thresholds=dict(POLICY_SEGMENT_THRESHOLDS),
                    created_by="carol (lead)",
                    is_demo=True,
                    created_at=anchor - timedelta(days=50),
                    updated_at=anchor - timedelta(days=50),
                )
            )
            added += 1
    return added


def _variables(template: str) -> list[str]:
    names: list[str] = []
    for part in template.split("{")[1:]:
        name = part.split("}", 1)[0]
        if name.isidentifier() and name not in names:
            names.append(name)
    return names


def _review_values(record: _Record, reviewer: str, sample_id: Any) -> dict[str, Any]:
    rng = random.Random(f"redline-demo:review:{record.external_id}:{reviewer}")
    strict = reviewer == "ben"
    if record.good:
        verdict = rng.choices(
            ("good", "unsure", "bad"), weights=(0.85, 0.05, 0.10) if strict else (0.9, 0.05, 0.05)
        )[0]
    else:
        verdict = rng.choices(
            ("bad", "unsure", "good"), weights=(0.9, 0.05, 0.05) if strict else (0.85, 0.08, 0.07)
        )[0]
    categories: list[str] = []
    note = ""
    correction = None
    if verdict == "bad":
        if record.failure:
            categories.append(CATEGORY[record.failure])
            note = rng.choice(REVIEW_NOTES[record.failure])
            if rng.random() < 0.12:
                extra = rng.choice(("tone", "incomplete", "off-topic"))
                if extra not in categories:
                    categories.append(extra)
            if rng.random() < 0.12:
                correction = record.ideal
        else:
            categories.append(rng.choice(("tone", "incomplete")))
    elif verdict == "unsure":
        note = rng.choice(("Not sure this matches the KB.", "Need a second opinion.", ""))
    rating = {"good": rng.choice((4, 4, 5)), "unsure": 3, "bad": rng.choice((1, 2, 2))}[verdict]
    now = clock.now()
    when = min(record.captured_at + timedelta(hours=rng.uniform(4, 96)), now)
    return {
        "id": uuid7(),
        "sample_id": sample_id,
        "reviewer": reviewer,
        "verdict": verdict,
        "rating": rating,
        "categories": categories,
        "note": note,
        "correction": correction,
        "flagged": verdict == "bad" and record.failure == "unsafe",
        "time_spent_ms": int(rng.lognormvariate(math.log(35_000), 0.5)),
        "device": DEMO_DEVICE,
        "adjudicated": False,
        "created_at": when,
        "updated_at": when,
        "revision": 1,
        "dirty": True,
    }


def _reviewers(record: _Record) -> tuple[str, ...]:
    rng = random.Random(f"redline-demo:reviewers:{record.external_id}")
    if rng.random() >= REVIEW_SHARE:
        return ()
    return rng.choices((("ana",), ("ben",), ("ana", "ben")), weights=(0.45, 0.35, 0.2))[0]


def _add_reviews(engine: Engine, records: list[_Record], progress: Progress) -> int:
    """The teammates' reviews that are missing; how many added."""
    wanted = {r.external_id: r for r in records if _reviewers(r)}
    if not wanted:
        return 0
    with session_scope(engine) as session:
        ids = {
            external_id: sample_id
            for external_id, sample_id in session.execute(
                select(Sample.external_id, Sample.id).where(Sample.source == DEMO_SOURCE)
            )
        }
        done = {
            (sample_id, reviewer)
            for sample_id, reviewer in session.execute(
                select(Review.sample_id, Review.reviewer)
                .join(Sample, Sample.id == Review.sample_id)
                .where(Sample.source == DEMO_SOURCE, Review.reviewer.in_(DEMO_REVIEWERS))
            )
        }
    rows = [
        _review_values(record, reviewer, ids[external_id])
        for external_id, record in wanted.items()
        if external_id in ids
        for reviewer in _reviewers(record)
        if (ids[external_id], reviewer) not in done
    ]
    for start in range(0, len(rows), 2000):
        with session_scope(engine) as session:
            session.execute(insert(Review), rows[start : start + 2000])
        progress.update(min(start + 2000, len(rows)), len(rows), "adding teammates' reviews")
        check(progress)
    return len(rows)


def _imported_batch(engine: Engine, file_name: str) -> str | None:
    """The id of a complete demo batch imported from a file of this name, if any."""
    with session_scope(engine) as session:
        batches = session.execute(
            select(Batch.id, Batch.file_name).where(
                Batch.source == DEMO_SOURCE, Batch.status == BatchStatus.COMPLETE.value
            )
        )
        for batch_id, name in batches:
            if Path(name).name == file_name:
                return str(batch_id)
    return None


def _batch_bad_rows(engine: Engine, batch_id: str) -> int:
    with session_scope(engine) as session:
        batch = session.get_one(Batch, uuid.UUID(batch_id))
        return batch.rows_bad


def demo_file_path(work_dir: Path, *, count: int, seed: int) -> Path:
    """Where the demo writes its records for this count and seed."""
    return work_dir / f"redline-demo-seed{seed}-{count}.jsonl"


def shared_database_refusal(engine: Engine) -> str:
    """Why the demo must not run in this store ('' when it may): it has synced with a
    team database (a pull cursor, or any row the server numbered)."""
    with session_scope(engine) as session:
        profile = session.scalars(select(SyncState.profile).limit(1)).first()
        if profile is not None:
            return f"this store syncs with the team database of profile {profile!r}"
        for table in Base.metadata.sorted_tables:
            if "seq" in table.c and table.name != "shared_audit_event":
                shared = session.execute(
                    select(table.c.id).where(table.c.seq.is_not(None)).limit(1)
                ).first()
                if shared is not None:
                    return f"this store holds {table.name} rows from a team database"
    return ""


def create_demo(
    engine: Engine,
    *,
    count: int = 5000,
    seed: int = 7,
    work_dir: Path,
    progress: Progress = NO_PROGRESS,
) -> DemoSummary:
    """Fill the store with a realistic demo (see the module docstring); idempotent.

    Args:
        engine: the local store.
        count: production records to generate (a few malformed lines come on top).
        seed: the same seed gives the same records, scores, signals and reviews.
        work_dir: where the JSONL file is written; an existing file for the same count
            and seed is reused, so a cancelled demo resumes its import.
        progress: receives progress; cancelling raises `Cancelled`, keeping what was
            committed (running the demo again completes it).

    Raises:
        RedlineError: the file cannot be written or imported, or the store has synced
            with a team database (see the module docstring).
        Cancelled: the user cancelled.
    """
    if count <= 0:
        raise RedlineError(f"the demo needs at least one record (got {count})")
    refusal = shared_database_refusal(engine)
    if refusal:
        raise RedlineError(
            f"the demo was not added: {refusal}, and its prompts would mix with the team's",
            where=str(engine.url.database or engine.url),
            hint="try the demo in a store of its own: `redline --store demo.db demo`",
        )
    anchor = _anchor()
    records = list(_Generator(seed, anchor).records(count))
    path = demo_file_path(work_dir, count=count, seed=seed)
    done = _imported_batch(engine, path.name)
    if done is not None:
        # Imported completely before (maybe on another day, from another work dir):
        # importing a regenerated file would only add an all-duplicates batch.
        batch_id, imported, bad = done, 0, _batch_bad_rows(engine, done)
    else:
        if not path.exists():
            write_demo_file(path, records, progress)
        check(progress)
        report = import_file(
            path,
            engine=engine,
            source=DEMO_SOURCE,
            mapping=DEMO_MAPPING,
            imported_by=DEMO_IMPORTER,
            demo=True,
            progress=progress,
        )
        batch_id, imported, bad = str(report.batch_id), report.imported, report.bad
    catalog_added = _add_catalog(engine, anchor)
    reviews_added = _add_reviews(engine, records, progress)
    with session_scope(engine) as session:
        samples = session.scalar(
            select(func.count()).select_from(Sample).where(Sample.source == DEMO_SOURCE)
        )
        reviews = session.scalar(
            select(func.count())
            .select_from(Review)
            .where(Review.reviewer.in_(DEMO_REVIEWERS), Review.device == DEMO_DEVICE)
        )
    return DemoSummary(
        file=path,
        batch_id=batch_id,
        samples=int(samples or 0),
        imported=imported,
        bad_rows=bad,
        reviews=int(reviews or 0),
        reviews_added=reviews_added,
        catalog_added=catalog_added,
    )

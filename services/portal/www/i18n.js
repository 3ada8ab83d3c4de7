// i18n.js — the portal page's words in Kazakh, Russian and English, and the
// dates on the simulation clock as a citizen reads them. Every text the page
// writes itself comes from the dictionary below; names the API gives in
// three languages ({kk, ru, en}) are picked from the API's object.
//
//   I18n.setLanguage("ru");  I18n.text("login.title")   -> "Вход"
//   I18n.text("notice.ACCEPTED", { receipt: "PORTAL-…", ready: { date: "2026-12-07T18:00:00+05:00" } })
//   I18n.apply(root)  rewrites every [data-i18n] element under root
"use strict";

const I18n = (() => {
    const LANGUAGES = ["kk", "ru", "en"];
    const STORAGE_KEY = "egov-portal-language";

    // Plural forms are objects {one, few, many, other}, chosen by Intl.PluralRules.
    const dictionary = {
        kk: {
            "title": "Электрондық үкімет порталы — egov-sim",
            "heading": "Электрондық үкімет",
            "subheading": "азаматтарға арналған портал (egov-sim симуляторы, 2-диаграмма)",
            "language": "Тіл",
            "who.anonymous": "Сіз жүйеге кірмегенсіз.",
            "who.citizen": "{name}, ЖСН {iin}",
            "logout": "Шығу",
            "register.title": "Тіркелу",
            "iin": "ЖСН",
            "password": "Құпиясөз",
            "password.hint": "8–128 таңба: кемінде бір әріп пен бір цифр, ЖСН-ді қамтымауы керек.",
            "register.hint": "ЖСН сіздікі екенін растаңыз: порталдың сұрауына осы бетте сіздің ЭЦҚ-ңызбен қол қойылады (var/pki ішіндегі keys/ЖСН.key және certs/ЖСН.pem).",
            "key.file": "Жабық кілт (PEM)",
            "cert.file": "Сертификат (PEM)",
            "register.submit": "Қол қойып, тіркелу",
            "login.title": "Кіру",
            "login.submit": "Кіру",
            "apply.title": "Қызметке өтініш беру",
            "service": "Қызмет",
            "service.option": "{name} — {region}",
            "service.info": "Қызмет беруші: {provider}. Мерзімі: қабылданған күннен бастап {term}. Портал сұраныстарды тәулік бойы қабылдайды; жұмыс уақытынан тыс, демалыс және мереке күндері мерзім келесі жұмыс күнінен бастап есептеледі.",
            "form.legend": "Өтініш нысаны",
            "attachments.legend": "Құжаттардың электрондық көшірмелері",
            "document.when": "{document} ({when})",
            "document.registry": "{document}: портал «Жеке тұлғалар» мемлекеттік деректер қорынан алады",
            "signing.legend": "ЭЦҚ (тестілік кілт файлы)",
            "signing.hint": "var/pki ішінен кілт пен сертификатты таңдаңыз (keys/ЖСН.key, certs/ЖСН.pem). Сұранысқа осы бетте қол қойылады; кілт беттен шықпайды.",
            "sign.submit": "Қол қойып, жіберу",
            "cabinet.title": "Жеке кабинет",
            "clock.note": "Барлық уақыт симуляция сағаты бойынша, Алматы уақытымен көрсетілген.",
            "applications": "Өтініштер",
            "column.receipt": "Сұраныс нөмірі",
            "column.service": "Қызмет",
            "column.for": "Кім үшін",
            "column.status": "Мәртебесі",
            "column.due": "Дайын болу мерзімі",
            "applications.none": "Әзірге өтініштер жоқ.",
            "notifications": "Хабарламалар",
            "notifications.none": "Әзірге хабарламалар жоқ.",
            "open": "Ашу",
            "subject": "{name}, ЖСН {iin}",
            "status.ACCEPTED": "Қабылданды",
            "status.SENT": "Жіберілді",
            "status.REGISTERED": "Тіркелді",
            "status.IN_PROGRESS": "Орындалуда",
            "status.READY": "Нәтиже дайын",
            "status.REFUSED": "Бас тартылды",
            "detail.title": "{receipt} сұранысы",
            "detail.service": "Қызмет",
            "detail.for": "Кім үшін",
            "detail.submitted": "Қол қойылып, жіберілді",
            "detail.received": "Қабылдау уақыты",
            "detail.due": "Нәтиже дайын болатын мерзім",
            "detail.registration": "Тіркеу нөмірі",
            "detail.overdue": "Нәтиже мерзімінен кешікті.",
            "detail.refusal": "Бас тарту себебі: {note}",
            "history.title": "Өтініш тарихы",
            "step.portal": "Портал ЭЦҚ-ны тексеріп, сұранысты қабылдады",
            "step.gateway": "Сұраныс электрондық үкімет шлюзі арқылы жіберілді",
            "step.regional-gateway": "Сұраныс өңірлік шлюзде тіркелді",
            "step.clerk": "Қызмет берушінің кеңсе қызметкері",
            "step.head": "Қызмет берушінің басшысы",
            "step.executor": "Қызмет берушінің орындаушысы",
            "step.provider": "Қызмет берушінің қол қойылған нәтижесі кабинетке түсті",
            "task.started": "басталды, мерзімі — {due}",
            "task.done": "орындалды",
            "result.title.approved": "Мемлекеттік қызмет көрсету нәтижесі № {number}",
            "result.title.refused": "Дәлелді бас тарту № {number}",
            "result.service": "Қызмет",
            "result.provider": "Қызмет беруші",
            "result.applicant": "Өтініш беруші",
            "result.decision": "Шешім",
            "decision.approved": "Оң шешім",
            "decision.refused": "Бас тарту",
            "result.issued": "Берілген құжат",
            "result.grounds": "Бас тарту негіздері",
            "result.decided": "Шешім қабылданған уақыт",
            "result.registration": "Тіркеу нөмірі",
            "result.receipt": "Сұраныс нөмірі",
            "result.signer": "Қол қойған",
            "result.signature": "ЭЦҚ алынған кезде тексерілді",
            "signature.OK": "жарамды",
            "signature.other": "жарамсыз ({outcome})",
            "download.receipt": "Қабылдау туралы хабарламаны жүктеу (HTML, басып шығаруға)",
            "download.document": "Құжатты жүктеу (JSON)",
            "download.signature": "Қолтаңбаны жүктеу (CMS)",
            "download.page": "Нәтижені басып шығаруға жүктеу (HTML)",
            "verify.hint": "Қолтаңбаны өзіңіз тексеріңіз:",
            "kind.acceptance-receipt": "Құжаттардың қабылданғаны туралы қолхат",
            "kind.order-copy": "Экстернат нысанында оқытуға рұқсат беру туралы бұйрықтың көшірмесі",
            "kind.permit": "Экстернат нысанында оқуға рұқсат",
            "kind.motivated-refusal": "Дәлелді бас тарту",
            "kind.queue-receipt": "Кезектілік нөмірі көрсетілген қолхат",
            "kind.enrolment-notice": "Оқуға қабылдау туралы хабарлама",
            "ground.incomplete-documents": "құжаттар топтамасы толық емес",
            "ground.unreliable-documents": "құжаттар дәйексіз",
            "ground.missing": "жетіспейді: {documents}",
            "notice.ACCEPTED": "{receipt} сұранысыңыз ({service}) қабылданды. Нәтиженің дайын болу мерзімі — {ready}.",
            "notice.SENT": "{receipt} сұранысыңыз өңірлік шлюзге жіберілді.",
            "notice.REGISTERED": "{receipt} сұранысыңыз тіркелді.",
            "notice.IN_PROGRESS": "{receipt} сұранысыңызды қызмет беруші орындауда.",
            "notice.READY": "{receipt} сұранысыңыздың нәтижесі жеке кабинетте дайын.",
            "notice.REFUSED": "{receipt} сұранысыңыз бойынша бас тартылды: дәлелді бас тарту жеке кабинетте.",
            "message.registered": "Тіркелдіңіз: {name}. Енді жүйеге кіріңіз.",
            "message.logged-in": "Жүйеге кірдіңіз.",
            "message.logged-out": "Жүйеден шықтыңыз.",
            "message.keys-register": "Жабық кілт пен сертификат файлдарын таңдаңыз: тіркелуге солармен қол қойылады.",
            "message.keys": "Қол қою үшін жабық кілт пен сертификат файлдарын таңдаңыз.",
            "message.signing-failed": "Қол қою сәтсіз аяқталды: {reason}",
            "message.submitting": "Бетте қол қойылды; жіберілуде…",
            "message.accepted": "Қабылданды: {receipt}, нәтиженің дайын болу мерзімі — {due}.",
            "message.duplicate": "Бұл қол қойылған сұраныс бұрын жіберілген: {receipt}.",
            "message.expired": "Сеанс мерзімі аяқталды; қайта кіріңіз.",
            "message.saved": "{file} файлы сақталды.",
            "message.error": "{text} ({code})",
            "message.http": "Портал HTTP {status} деп жауап берді.",
            "message.network": "Порталға қосылу мүмкін болмады.",
            "error.AUTH_FAILED": "ЖСН немесе құпиясөз қате.",
            "error.LOCKED": "Құпиясөз тым көп рет қате терілді: тіркелгі уақытша бұғатталды.",
            "error.INVALID_IIN": "ЖСН дұрыс емес.",
            "error.WEAK_PASSWORD": "Құпиясөз тым қарапайым.",
            "error.ALREADY_REGISTERED": "Бұл ЖСН бұрын тіркелген.",
            "error.PERSON_NOT_FOUND": "Бұл ЖСН «Жеке тұлғалар» деректер қорында табылмады.",
            "error.CHALLENGE_EXPIRED": "Порталдың сұрау мерзімі өтіп кетті; қайталап көріңіз.",
            "error.CHALLENGE_INVALID": "Порталдың сұрауы өзгертілген немесе оны портал бермеген.",
            "error.SIGNATURE_INVALID": "ЭЦҚ жарамсыз.",
            "error.CERT_EXPIRED": "Сертификат қазір жарамсыз: мерзімі өткен немесе әлі басталмаған.",
            "error.CERT_REVOKED": "Сертификат кері қайтарылған.",
            "error.UNKNOWN_ISSUER": "Сертификатты сенімсіз куәландырушы орталық берген.",
            "error.IIN_MISMATCH": "Сертификат басқа ЖСН-ге тиесілі.",
            "error.INVALID_FORM": "Нысанның кейбір өрістері қате толтырылған.",
            "error.APPLICATION_WINDOW_CLOSED": "Бұл күндері осы қызметке өтініштер қабылданбайды.",
            "error.CHILD_NOT_LINKED": "Тізілім деректері бойынша бұл бала сізбен байланысты емес.",
            "error.REGISTRY_UNAVAILABLE": "«Жеке тұлғалар» деректер қоры жауап бермейді; кейінірек қайталаңыз.",
            "error.DATABASE_UNAVAILABLE": "Портал уақытша қолжетімсіз; кейінірек қайталаңыз.",
            "error.BUSY": "Портал қазір бос емес; сәлден кейін қайталаңыз.",
            "error.RESULT_NOT_READY": "Нәтиже әлі дайын емес.",
            "field.child_iin": "Бала",
            "field.study_form": "Оқу нысаны",
            "field.grade": "Сынып (1–11)",
            "field.school": "Мектеп",
            "field.language": "Оқыту тілі",
            "field.reason": "Экстернат нысанында оқу себебі",
            "field.reason_note": "Себебі туралы түсініктеме",
            "field.desired_date": "Қалаған күні",
            "field.kindergarten": "Қалаған балабақша",
            "field.priority_right": "Отбасының кезектен тыс орын алу құқығы бар",
            "field.note": "Ескертпе",
            "choice.study_form.first-grade": "бірінші сынып",
            "choice.study_form.day": "күндізгі",
            "choice.study_form.evening": "кешкі",
            "choice.language.kazakh": "қазақ тілі",
            "choice.language.russian": "орыс тілі",
            "choice.language.english": "ағылшын тілі",
            "choice.reason.health": "денсаулық жағдайы",
            "choice.reason.living-abroad": "шетелде тұру",
            "choice.reason.sports": "спортпен шұғылдану",
            "choice.reason.arts": "өнермен шұғылдану",
            "choice.reason.other": "басқа себеп",
            "doc.application": "Өтініш",
            "doc.identity-document": "Жеке басын куәландыратын құжат",
            "doc.birth-certificate": "Баланың туу туралы куәлігі",
            "doc.medical-certificate-086u": "086/у нысанындағы медициналық анықтама",
            "doc.health-passport-026u3": "026/у-3 нысанындағы баланың денсаулық паспорты",
            "doc.photo-3x4": "3×4 см екі фотосурет",
            "doc.reason-document": "Экстернат негізін растайтын құжат",
            "doc.power-of-attorney": "Нотариат куәландырған сенімхат",
            "doc.priority-right-document": "Кезектен тыс орын алу құқығын растайтын құжат",
            "when.power-of-attorney": "өкіл жүгінген жағдайда",
            "when.birth-certificate": "бала 2008 жылға дейін немесе шетелде туған болса",
            "when.priority-right-document": "отбасының мұндай құқығы болса",
            "term.m": "{n} минут",
            "term.h": "{n} сағат",
            "term.wd": "{n} жұмыс күні",
            "term.cd": "{n} күнтізбелік күн",
        },
        ru: {
            "title": "Портал электронного правительства — egov-sim",
            "heading": "Электронное правительство",
            "subheading": "портал для граждан (симулятор egov-sim, диаграмма 2)",
            "language": "Язык",
            "who.anonymous": "Вы не вошли в систему.",
            "who.citizen": "{name}, ИИН {iin}",
            "logout": "Выйти",
            "register.title": "Регистрация",
            "iin": "ИИН",
            "password": "Пароль",
            "password.hint": "От 8 до 128 символов, хотя бы одна буква и одна цифра; пароль не должен содержать ИИН.",
            "register.hint": "Подтвердите, что ИИН ваш: запрос портала подписывается на этой странице вашей ЭЦП (keys/ИИН.key и certs/ИИН.pem из var/pki).",
            "key.file": "Закрытый ключ (PEM)",
            "cert.file": "Сертификат (PEM)",
            "register.submit": "Подписать и зарегистрироваться",
            "login.title": "Вход",
            "login.submit": "Войти",
            "apply.title": "Подать заявление на услугу",
            "service": "Услуга",
            "service.option": "{name} — {region}",
            "service.info": "Услугодатель: {provider}. Срок: {term} со дня приёма. Портал принимает запросы круглосуточно; в нерабочее время, в выходные и праздничные дни срок отсчитывается со следующего рабочего дня.",
            "form.legend": "Форма заявления",
            "attachments.legend": "Электронные копии документов",
            "document.when": "{document} ({when})",
            "document.registry": "{document}: портал получает из государственной базы данных «Физические лица»",
            "signing.legend": "ЭЦП (тестовый файл ключа)",
            "signing.hint": "Выберите ключ и сертификат из var/pki (keys/ИИН.key, certs/ИИН.pem). Запрос подписывается на этой странице; ключ её не покидает.",
            "sign.submit": "Подписать и отправить",
            "cabinet.title": "Личный кабинет",
            "clock.note": "Всё время указано по часам симуляции, по времени Алматы.",
            "applications": "Заявления",
            "column.receipt": "Номер запроса",
            "column.service": "Услуга",
            "column.for": "Для кого",
            "column.status": "Статус",
            "column.due": "Срок готовности",
            "applications.none": "Заявлений пока нет.",
            "notifications": "Уведомления",
            "notifications.none": "Уведомлений пока нет.",
            "open": "Открыть",
            "subject": "{name}, ИИН {iin}",
            "status.ACCEPTED": "Принято",
            "status.SENT": "Отправлено",
            "status.REGISTERED": "Зарегистрировано",
            "status.IN_PROGRESS": "На исполнении",
            "status.READY": "Результат готов",
            "status.REFUSED": "Отказано",
            "detail.title": "Запрос {receipt}",
            "detail.service": "Услуга",
            "detail.for": "Для кого",
            "detail.submitted": "Подписано и отправлено",
            "detail.received": "Время приёма",
            "detail.due": "Результат будет готов до",
            "detail.registration": "Регистрационный номер",
            "detail.overdue": "Срок оказания услуги нарушен.",
            "detail.refusal": "Причина отказа: {note}",
            "history.title": "История заявления",
            "step.portal": "Портал проверил ЭЦП и принял запрос",
            "step.gateway": "Запрос передан через шлюз электронного правительства",
            "step.regional-gateway": "Запрос зарегистрирован в региональном шлюзе",
            "step.clerk": "Сотрудник канцелярии услугодателя",
            "step.head": "Руководитель услугодателя",
            "step.executor": "Исполнитель услугодателя",
            "step.provider": "Подписанный результат услугодателя поступил в личный кабинет",
            "task.started": "начато, срок — {due}",
            "task.done": "выполнено",
            "result.title.approved": "Результат оказания государственной услуги № {number}",
            "result.title.refused": "Мотивированный отказ № {number}",
            "result.service": "Услуга",
            "result.provider": "Услугодатель",
            "result.applicant": "Заявитель",
            "result.decision": "Решение",
            "decision.approved": "Положительное",
            "decision.refused": "Отказ",
            "result.issued": "Выдан документ",
            "result.grounds": "Основания отказа",
            "result.decided": "Решение принято",
            "result.registration": "Регистрационный номер",
            "result.receipt": "Номер запроса",
            "result.signer": "Подписал",
            "result.signature": "ЭЦП при получении",
            "signature.OK": "действительна",
            "signature.other": "недействительна ({outcome})",
            "download.receipt": "Скачать уведомление о приёме (HTML, для печати)",
            "download.document": "Скачать документ (JSON)",
            "download.signature": "Скачать подпись (CMS)",
            "download.page": "Скачать результат для печати (HTML)",
            "verify.hint": "Проверьте подпись сами:",
            "kind.acceptance-receipt": "Расписка о приёме документов",
            "kind.order-copy": "Копия приказа о разрешении обучения в форме экстерната",
            "kind.permit": "Разрешение на обучение в форме экстерната",
            "kind.motivated-refusal": "Мотивированный отказ",
            "kind.queue-receipt": "Расписка с номером очереди",
            "kind.enrolment-notice": "Уведомление о зачислении",
            "ground.incomplete-documents": "неполный пакет документов",
            "ground.unreliable-documents": "документы недостоверны",
            "ground.missing": "не хватает: {documents}",
            "notice.ACCEPTED": "Ваш запрос {receipt} ({service}) принят. Результат будет готов до {ready}.",
            "notice.SENT": "Ваш запрос {receipt} передан в региональный шлюз.",
            "notice.REGISTERED": "Ваш запрос {receipt} зарегистрирован.",
            "notice.IN_PROGRESS": "Ваш запрос {receipt} исполняется услугодателем.",
            "notice.READY": "Результат по вашему запросу {receipt} готов в личном кабинете.",
            "notice.REFUSED": "По вашему запросу {receipt} отказано: мотивированный отказ — в личном кабинете.",
            "message.registered": "Регистрация выполнена: {name}. Теперь войдите.",
            "message.logged-in": "Вы вошли в систему.",
            "message.logged-out": "Вы вышли из системы.",
            "message.keys-register": "Выберите файлы закрытого ключа и сертификата: регистрация подписывается ими.",
            "message.keys": "Выберите файлы закрытого ключа и сертификата для подписи.",
            "message.signing-failed": "Не удалось подписать: {reason}",
            "message.submitting": "Подписано на странице; отправляем…",
            "message.accepted": "Принято: {receipt}, результат будет готов до {due}.",
            "message.duplicate": "Этот подписанный запрос уже был отправлен: {receipt}.",
            "message.expired": "Сеанс истёк; войдите снова.",
            "message.saved": "Файл {file} сохранён.",
            "message.error": "{text} ({code})",
            "message.http": "Портал ответил HTTP {status}.",
            "message.network": "Не удалось связаться с порталом.",
            "error.AUTH_FAILED": "Неверный ИИН или пароль.",
            "error.LOCKED": "Слишком много неверных паролей: учётная запись временно заблокирована.",
            "error.INVALID_IIN": "Некорректный ИИН.",
            "error.WEAK_PASSWORD": "Пароль слишком простой.",
            "error.ALREADY_REGISTERED": "Этот ИИН уже зарегистрирован.",
            "error.PERSON_NOT_FOUND": "ИИН не найден в базе данных «Физические лица».",
            "error.CHALLENGE_EXPIRED": "Срок действия запроса портала истёк; попробуйте ещё раз.",
            "error.CHALLENGE_INVALID": "Запрос портала изменён или выдан не порталом.",
            "error.SIGNATURE_INVALID": "ЭЦП недействительна.",
            "error.CERT_EXPIRED": "Сертификат сейчас недействителен: срок истёк или ещё не наступил.",
            "error.CERT_REVOKED": "Сертификат отозван.",
            "error.UNKNOWN_ISSUER": "Сертификат выдан недоверенным удостоверяющим центром.",
            "error.IIN_MISMATCH": "Сертификат принадлежит другому ИИН.",
            "error.INVALID_FORM": "Некоторые поля формы заполнены неверно.",
            "error.APPLICATION_WINDOW_CLOSED": "В эти дни заявления на эту услугу не принимаются.",
            "error.CHILD_NOT_LINKED": "По данным реестра этот ребёнок не связан с вами.",
            "error.REGISTRY_UNAVAILABLE": "База данных «Физические лица» не отвечает; попробуйте позже.",
            "error.DATABASE_UNAVAILABLE": "Портал временно недоступен; попробуйте позже.",
            "error.BUSY": "Портал сейчас занят; попробуйте чуть позже.",
            "error.RESULT_NOT_READY": "Результат ещё не готов.",
            "field.child_iin": "Ребёнок",
            "field.study_form": "Форма обучения",
            "field.grade": "Класс (1–11)",
            "field.school": "Школа",
            "field.language": "Язык обучения",
            "field.reason": "Причина обучения в форме экстерната",
            "field.reason_note": "Пояснение к причине",
            "field.desired_date": "Желаемая дата",
            "field.kindergarten": "Желаемый детский сад",
            "field.priority_right": "Семья имеет право на внеочередное место",
            "field.note": "Примечание",
            "choice.study_form.first-grade": "первый класс",
            "choice.study_form.day": "дневная",
            "choice.study_form.evening": "вечерняя",
            "choice.language.kazakh": "казахский",
            "choice.language.russian": "русский",
            "choice.language.english": "английский",
            "choice.reason.health": "по состоянию здоровья",
            "choice.reason.living-abroad": "проживание за рубежом",
            "choice.reason.sports": "занятия спортом",
            "choice.reason.arts": "занятия искусством",
            "choice.reason.other": "другая причина",
            "doc.application": "Заявление",
            "doc.identity-document": "Документ, удостоверяющий личность",
            "doc.birth-certificate": "Свидетельство о рождении ребёнка",
            "doc.medical-certificate-086u": "Медицинская справка формы 086/у",
            "doc.health-passport-026u3": "Паспорт здоровья ребёнка формы 026/у-3",
            "doc.photo-3x4": "Две фотографии размером 3×4 см",
            "doc.reason-document": "Документ, подтверждающий основание для обучения в форме экстерната",
            "doc.power-of-attorney": "Нотариально удостоверенная доверенность",
            "doc.priority-right-document": "Документ, подтверждающий право на внеочередное место",
            "when.power-of-attorney": "если обращается представитель",
            "when.birth-certificate": "если ребёнок родился до 2008 года или за рубежом",
            "when.priority-right-document": "если у семьи есть такое право",
            "term.m": { one: "{n} минута", few: "{n} минуты", many: "{n} минут", other: "{n} минуты" },
            "term.h": { one: "{n} час", few: "{n} часа", many: "{n} часов", other: "{n} часа" },
            "term.wd": { one: "{n} рабочий день", few: "{n} рабочих дня", many: "{n} рабочих дней", other: "{n} рабочего дня" },
            "term.cd": { one: "{n} календарный день", few: "{n} календарных дня", many: "{n} календарных дней", other: "{n} календарного дня" },
        },
        en: {
            "value": "{value}",
            "message.field": "{field}: {text} ({code})",
            "title": "E-government portal — egov-sim",
            "heading": "Electronic government",
            "subheading": "the citizen portal (egov-sim simulator, Diagram 2)",
            "language": "Language",
            "who.anonymous": "Not logged in.",
            "who.citizen": "{name}, IIN {iin}",
            "logout": "Log out",
            "register.title": "Register",
            "iin": "IIN",
            "password": "Password",
            "password.hint": "8 to 128 characters, at least one letter and one digit, not containing the IIN.",
            "register.hint": "Prove that the IIN is yours: the portal's challenge is signed in this page with your e-signature (keys/IIN.key and certs/IIN.pem of var/pki).",
            "key.file": "Private key (PEM)",
            "cert.file": "Certificate (PEM)",
            "register.submit": "Sign and register",
            "login.title": "Log in",
            "login.submit": "Log in",
            "apply.title": "Apply for a service",
            "service": "Service",
            "service.option": "{name} — {region}",
            "service.info": "Provider: {provider}. Term: {term} from receipt. The portal receives requests round the clock; after hours, on days off and holidays the term counts from the next working day.",
            "form.legend": "Application form",
            "attachments.legend": "Electronic copies of documents",
            "document.when": "{document} ({when})",
            "document.registry": "{document}: the portal takes it from the registry of individuals",
            "signing.legend": "E-signature (test key file)",
            "signing.hint": "Pick your key and certificate from var/pki (keys/IIN.key, certs/IIN.pem). The request is signed in this page; the key never leaves it.",
            "sign.submit": "Sign and submit",
            "cabinet.title": "Personal cabinet",
            "clock.note": "All times are on the simulation clock, in Almaty time.",
            "applications": "Applications",
            "column.receipt": "Request No",
            "column.service": "Service",
            "column.for": "For",
            "column.status": "Status",
            "column.due": "Result due",
            "applications.none": "No applications yet.",
            "notifications": "Notifications",
            "notifications.none": "No notifications yet.",
            "open": "Open",
            "subject": "{name}, IIN {iin}",
            "status.ACCEPTED": "Accepted",
            "status.SENT": "Sent",
            "status.REGISTERED": "Registered",
            "status.IN_PROGRESS": "In progress",
            "status.READY": "Result ready",
            "status.REFUSED": "Refused",
            "detail.title": "Request {receipt}",
            "detail.service": "Service",
            "detail.for": "For",
            "detail.submitted": "Signed and sent",
            "detail.received": "Received",
            "detail.due": "Result due by",
            "detail.registration": "Registration No",
            "detail.overdue": "The result is late for its term.",
            "detail.refusal": "Reason for the refusal: {note}",
            "history.title": "History of the application",
            "step.portal": "The portal checked the e-signature and accepted the request",
            "step.gateway": "The request went through the e-government gateway",
            "step.regional-gateway": "The regional gateway registered the request",
            "step.clerk": "The provider's office clerk",
            "step.head": "The provider's head",
            "step.executor": "The provider's executor",
            "step.provider": "The provider's signed result arrived in the cabinet",
            "task.started": "started, due {due}",
            "task.done": "done",
            "result.title.approved": "The result of the public service No {number}",
            "result.title.refused": "Motivated refusal No {number}",
            "result.service": "Service",
            "result.provider": "Provider",
            "result.applicant": "Applicant",
            "result.decision": "Decision",
            "decision.approved": "Approved",
            "decision.refused": "Refused",
            "result.issued": "Issued",
            "result.grounds": "Grounds for the refusal",
            "result.decided": "Decided",
            "result.registration": "Registration No",
            "result.receipt": "Request No",
            "result.signer": "Signed by",
            "result.signature": "E-signature on arrival",
            "signature.OK": "valid",
            "signature.other": "not valid ({outcome})",
            "download.receipt": "Download the notice of acceptance (HTML, to print)",
            "download.document": "Download the document (JSON)",
            "download.signature": "Download the signature (CMS)",
            "download.page": "Download the result to print (HTML)",
            "verify.hint": "Check the signature yourself:",
            "kind.acceptance-receipt": "Receipt that the documents were accepted",
            "kind.order-copy": "Copy of the order permitting study as an external student",
            "kind.permit": "Permit to study as an external student",
            "kind.motivated-refusal": "Motivated refusal",
            "kind.queue-receipt": "Receipt with the place in the queue",
            "kind.enrolment-notice": "Notice of enrolment",
            "ground.incomplete-documents": "the package of documents is incomplete",
            "ground.unreliable-documents": "the documents are unreliable",
            "ground.missing": "missing: {documents}",
            "notice.ACCEPTED": "Your request {receipt} ({service}) is accepted. The result will be ready by {ready}.",
            "notice.SENT": "Your request {receipt} went to the regional gateway.",
            "notice.REGISTERED": "Your request {receipt} is registered.",
            "notice.IN_PROGRESS": "Your request {receipt} is in progress at the provider.",
            "notice.READY": "The result of your request {receipt} is ready in your cabinet.",
            "notice.REFUSED": "Your request {receipt} is refused: the motivated refusal is in your cabinet.",
            "message.registered": "Registered: {name}. Log in now.",
            "message.logged-in": "Logged in.",
            "message.logged-out": "Logged out.",
            "message.keys-register": "Pick your private key and certificate files: registration is signed with them.",
            "message.keys": "Pick your private key and certificate files to sign with.",
            "message.signing-failed": "Signing failed: {reason}",
            "message.submitting": "Signed in the page; submitting…",
            "message.accepted": "Accepted: {receipt}, the result will be ready by {due}.",
            "message.duplicate": "This signed request was sent before: {receipt}.",
            "message.expired": "The session expired; log in again.",
            "message.saved": "Saved {file}.",
            "message.error": "{text} ({code})",
            "message.http": "The portal answered HTTP {status}.",
            "message.network": "The portal cannot be reached.",
            "error.AUTH_FAILED": "Wrong IIN or password.",
            "error.LOCKED": "Too many wrong passwords: the account is locked for a while.",
            "error.INVALID_IIN": "That is not a valid IIN.",
            "error.WEAK_PASSWORD": "The password is too weak.",
            "error.ALREADY_REGISTERED": "This IIN is already registered.",
            "error.PERSON_NOT_FOUND": "The registry of individuals does not know this IIN.",
            "error.CHALLENGE_EXPIRED": "The portal's challenge expired; try again.",
            "error.CHALLENGE_INVALID": "The portal's challenge was changed or is not the portal's.",
            "error.SIGNATURE_INVALID": "The e-signature is not valid.",
            "error.CERT_EXPIRED": "The certificate is not valid now: expired or not yet valid.",
            "error.CERT_REVOKED": "The certificate is revoked.",
            "error.UNKNOWN_ISSUER": "The certificate is not from a trusted certification centre.",
            "error.IIN_MISMATCH": "The certificate belongs to another IIN.",
            "error.INVALID_FORM": "Some fields of the form are wrong.",
            "error.APPLICATION_WINDOW_CLOSED": "Applications for this service are not accepted on these days.",
            "error.CHILD_NOT_LINKED": "The registry does not link this child to you.",
            "error.REGISTRY_UNAVAILABLE": "The registry of individuals does not answer; try again later.",
            "error.DATABASE_UNAVAILABLE": "The portal is unavailable for a while; try again later.",
            "error.BUSY": "The portal is busy; try again shortly.",
            "error.RESULT_NOT_READY": "The result is not ready yet.",
            "field.child_iin": "Child",
            "field.study_form": "Form of study",
            "field.grade": "Grade (1–11)",
            "field.school": "School",
            "field.language": "Language of instruction",
            "field.reason": "Reason for external study",
            "field.reason_note": "About the reason",
            "field.desired_date": "Wanted from (date)",
            "field.kindergarten": "Preferred kindergarten",
            "field.priority_right": "The family has a priority right",
            "field.note": "Note",
            "choice.study_form.first-grade": "first grade",
            "choice.study_form.day": "day school",
            "choice.study_form.evening": "evening school",
            "choice.language.kazakh": "Kazakh",
            "choice.language.russian": "Russian",
            "choice.language.english": "English",
            "choice.reason.health": "health",
            "choice.reason.living-abroad": "living abroad",
            "choice.reason.sports": "sport",
            "choice.reason.arts": "arts",
            "choice.reason.other": "another reason",
            "term.m": { one: "{n} minute", other: "{n} minutes" },
            "term.h": { one: "{n} hour", other: "{n} hours" },
            "term.wd": { one: "{n} working day", other: "{n} working days" },
            "term.cd": { one: "{n} calendar day", other: "{n} calendar days" },
        },
    };

    // Kazakh month names: browsers' date data often lacks Kazakh, so the
    // page writes Kazakh dates from the numbers Intl gives.
    const KAZAKH_MONTHS = ["қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым", "шілде",
                           "тамыз", "қыркүйек", "қазан", "қараша", "желтоқсан"];
    const TIME_ZONE = "Asia/Almaty";
    // An ISO 8601 moment with its offset, as the API writes them
    const MOMENT = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})/g;

    let language = "kk";

    // The language to start in: the one chosen before, else the browser's, else Kazakh.
    function initial() {
        let stored = null;
        try { stored = localStorage.getItem(STORAGE_KEY); } catch (ignored) { stored = null; }
        if (LANGUAGES.includes(stored))
            return stored;
        for (const wanted of navigator.languages || [navigator.language || ""]) {
            const base = String(wanted).toLowerCase().split("-")[0];
            if (LANGUAGES.includes(base))
                return base;
        }
        return "kk";
    }

    // Chooses the language and remembers the choice.
    function setLanguage(wanted) {
        if (!LANGUAGES.includes(wanted))
            return;
        language = wanted;
        try { localStorage.setItem(STORAGE_KEY, wanted); } catch (ignored) { /* private mode */ }
        document.documentElement.lang = wanted;
    }

    // "7 желтоқсан 2026 ж., 18:00" / "7 декабря 2026 г. в 18:00" / "7 December 2026 at 18:00";
    // withTime false leaves the time out. An unreadable value comes back as given.
    function moment(iso, withTime = true) {
        const when = new Date(iso);
        if (typeof iso !== "string" || Number.isNaN(when.getTime()))
            return String(iso);
        const options = { timeZone: TIME_ZONE, day: "numeric", month: "long", year: "numeric" };
        if (withTime)
            Object.assign(options, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
        if (language !== "kk")
            return new Intl.DateTimeFormat(language === "en" ? "en-GB" : "ru-RU", options).format(when);
        const parts = {};
        for (const part of new Intl.DateTimeFormat("en-GB", { ...options, month: "numeric" }).formatToParts(when))
            parts[part.type] = part.value;
        const date = `${parts.year} ж. ${Number(parts.day)} ${KAZAKH_MONTHS[Number(parts.month) - 1]}`;
        return withTime ? `${date}, ${parts.hour}:${parts.minute}` : date;
    }

    // A calendar date "YYYY-MM-DD" (no time, no zone) in words.
    function day(text) {
        const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(text));
        return match ? moment(`${text}T12:00:00+05:00`, false) : String(text);
    }

    // Free text from the API with every ISO moment in it written in words.
    function humanize(text) {
        return String(text === undefined || text === null ? "" : text).replace(MOMENT, (iso) => moment(iso));
    }

    // A duration of the catalogue ("15wd", "30m") in words.
    function term(duration) {
        const match = /^([0-9]+)(m|h|wd|cd)$/.exec(String(duration));
        return match ? text("term." + match[2], { n: Number(match[1]) }) : String(duration);
    }

    // An argument's text: plain values as they are; {date}, {day}, {names},
    // {term}, {key[, args, fallback]} resolved in the current language.
    function argument(value) {
        if (value === null || value === undefined)
            return "";
        if (typeof value !== "object")
            return String(value);
        if ("date" in value)
            return moment(value.date);
        if ("day" in value)
            return day(value.day);
        if ("names" in value)
            return pick(value.names);
        if ("term" in value)
            return term(value.term);
        if ("key" in value)
            return text(value.key, value.args, value.fallback);
        if ("free" in value)
            return humanize(value.free);
        if ("list" in value)
            return value.list.map(argument).join(", ");
        return "";
    }

    // The entry of key in the current language (English when it has none), or undefined.
    function entry(key) {
        const own = dictionary[language][key];
        return own !== undefined ? own : dictionary.en[key];
    }

    function has(key) {
        return entry(key) !== undefined;
    }

    // The text of key with {name} arguments filled in; fallback when the
    // dictionary has no such key (free text from the API, humanized).
    function text(key, args = {}, fallback) {
        let template = entry(key);
        if (template === undefined)
            return fallback !== undefined ? humanize(fallback) : key;
        if (typeof template === "object") {
            const count = Number(args.n);
            const form = new Intl.PluralRules(language === "kk" ? "kk" : language).select(count);
            template = template[form] || template.other;
        }
        return template.replace(/\{([a-z]+)\}/g, (whole, name) => (name in args ? argument(args[name]) : whole));
    }

    // The current language's member of an API names object {kk, ru, en}.
    function pick(names) {
        if (!names || typeof names !== "object")
            return names === undefined || names === null ? "" : String(names);
        return names[language] || names.ru || names.kk || names.en || "";
    }

    // Rewrites under root every element marked with data-i18n (its key, with
    // data-i18n-args JSON and data-i18n-fallback) in the current language;
    // for the whole document, its title too.
    function apply(root) {
        if (root === document)
            document.title = text("title");
        for (const node of root.querySelectorAll("[data-i18n]")) {
            const args = node.dataset.i18nArgs ? JSON.parse(node.dataset.i18nArgs) : {};
            node.textContent = text(node.dataset.i18n, args, node.dataset.i18nFallback);
        }
    }

    return { LANGUAGES, initial, setLanguage, language: () => language, text, has, pick, moment, day,
             humanize, term, apply, MOMENT };
})();

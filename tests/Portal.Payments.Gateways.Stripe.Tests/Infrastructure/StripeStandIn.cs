using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Portal.Payments.TestInfrastructure;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;
using WireMock.Types;
using WireMock.Util;

namespace Portal.Payments.Gateways.Stripe.Tests.Infrastructure;

/// <summary>A failure the stand-in answers once, in place of (or after) the real handling of a matching request.</summary>
/// <param name="Method">HTTP method to match.</param>
/// <param name="PathPrefix">Path prefix to match, e.g. "/v1/payment_intents".</param>
/// <param name="Status">HTTP status to answer; 0 answers nothing useful (only <paramref name="Delay"/> matters).</param>
/// <param name="ErrorType">Stripe error type of the body ("api_error", "invalid_request_error", "card_error"…).</param>
/// <param name="Code">Stripe error code.</param>
/// <param name="DeclineCode">Stripe decline code.</param>
/// <param name="Delay">Wait before answering (longer than the client's timeout: a lost answer).</param>
/// <param name="AfterExecuting">Handle the request for real first (money moves), then answer the failure: the answer is lost.</param>
/// <param name="Param">The error's <c>param</c> (the parameter Stripe blames, e.g. "customer").</param>
public sealed record StandInFault(string Method, string PathPrefix, int Status, string? ErrorType = null, string? Code = null, string? DeclineCode = null,
    TimeSpan Delay = default, bool AfterExecuting = false, string? Param = null);

/// <summary>One request the stand-in received (card numbers are never kept: the form is stored with them masked).</summary>
public sealed record StandInRequest(string Method, string Path, IReadOnlyDictionary<string, string> Form, string? IdempotencyKey, string? StripeVersion, bool Replayed);

/// <summary>
/// A local stand-in for Stripe's API (WireMock.Net on 127.0.0.1), answering with objects shaped like Stripe's published
/// API (the fixtures of stripe/openapi): customers, SetupIntents, PaymentMethods, PaymentIntents (create-and-confirm,
/// retrieve with <c>expand[]=latest_charge</c>, search by metadata, list), refunds and cancels, with Stripe's idempotency
/// rules (same key and parameters → the saved answer with <c>Idempotent-Replayed: true</c>; other parameters → 400
/// <c>idempotency_error</c>; a concurrent request with the key → 409), secret-key and publishable-key access, Stripe's
/// test cards and bank accounts, 3-D Secure for 4000 0027 6000 3184, and ACH debits that settle (or are returned) after
/// <see cref="AchSettlementDelay"/> on its own clock. It keeps no card or account number: only brand, last 4 and the
/// test scenario the number stands for.
/// </summary>
public sealed class StripeStandIn : IDisposable
{
    /// <summary>The test secret key the stand-in accepts.</summary>
    public const string SecretKey = "sk_test_51StandInSecretKey0000000000000000";

    /// <summary>The test publishable key the stand-in accepts.</summary>
    public const string PublishableKey = "pk_test_51StandInPublishableKey000000000000";

    private readonly WireMockServer _server;
    private readonly TimeProvider _clock;
    private readonly object _lock = new();
    private readonly Dictionary<string, JsonObject> _customers = new();
    private readonly Dictionary<string, JsonObject> _setupIntents = new();
    private readonly Dictionary<string, JsonObject> _methods = new();
    private readonly Dictionary<string, string> _scenarios = new();
    private readonly Dictionary<string, JsonObject> _intents = new();
    private readonly Dictionary<string, DateTimeOffset> _intentCreated = new();
    private readonly Dictionary<string, JsonObject> _charges = new();
    private readonly Dictionary<string, JsonObject> _mandates = new();
    private readonly Dictionary<string, Idempotent> _idempotency = new();
    private readonly List<StandInFault> _faults = [];
    private readonly ConcurrentQueue<StandInRequest> _requests = new();
    private int _sequence;

    /// <summary>Starts the stand-in on a free loopback port.</summary>
    public StripeStandIn(TimeProvider? clock = null)
    {
        _clock = clock ?? TimeProvider.System;
        _server = WireMockServer.Start(new WireMockServerSettings { Urls = [$"http://127.0.0.1:{LoopbackPort.Next()}"] });
        _server.Given(Request.Create().WithPath(new WireMock.Matchers.RegexMatcher(".*")))
            .RespondWith(Response.Create().WithCallback(Handle));
    }

    /// <summary>The stand-in's base URL (Stripe.net's <c>apiBase</c>).</summary>
    public string Url => _server.Urls[0];

    /// <summary>How long an ACH debit stays processing. Default 4 days.</summary>
    public TimeSpan AchSettlementDelay { get; set; } = TimeSpan.FromDays(4);

    /// <summary>How long creating a PaymentIntent takes (so concurrent requests overlap). Default 0.</summary>
    public TimeSpan ChargeLatency { get; set; }

    /// <summary>
    /// When true, search finds nothing: Stripe's search index lags writes by up to a minute, while lists and retrieves
    /// are strongly consistent.
    /// </summary>
    public bool SearchIsBehind { get; set; }

    /// <summary>Every request received, oldest first.</summary>
    public IReadOnlyList<StandInRequest> Requests => _requests.ToArray();

    /// <summary>Answers the next matching request with <paramref name="fault"/>.</summary>
    public void Fail(StandInFault fault)
    {
        lock (_lock)
        {
            _faults.Add(fault);
        }
    }

    /// <summary>Number of customers created.</summary>
    public int CustomerCount
    {
        get { lock (_lock) { return _customers.Count; } }
    }

    /// <summary>PaymentIntents that moved money (succeeded or processing), for "charged once" checks.</summary>
    public int MoneyMovingIntents(string? idempotencyKey = null)
    {
        lock (_lock)
        {
            return _intents.Values.Count(i => i["status"]!.GetValue<string>() is "succeeded" or "processing"
                && (idempotencyKey is null || i["metadata"]?["portal_idempotency_key"]?.GetValue<string>() == idempotencyKey));
        }
    }

    /// <summary>PaymentIntents that moved money (succeeded or processing) for the portal's payment <paramref name="paymentId"/> (its metadata).</summary>
    public int MoneyMovingIntentsOfPayment(Guid paymentId)
    {
        lock (_lock)
        {
            return _intents.Values.Count(i => i["status"]!.GetValue<string>() is "succeeded" or "processing"
                && i["metadata"]?["portal_payment_id"]?.GetValue<string>() == paymentId.ToString());
        }
    }

    /// <summary>The id of the PaymentIntent made under the portal's idempotency key <paramref name="idempotencyKey"/> (its metadata), or null.</summary>
    public string? IntentIdOf(string idempotencyKey)
    {
        lock (_lock)
        {
            return _intents.Values.FirstOrDefault(i => i["metadata"]?["portal_idempotency_key"]?.GetValue<string>() == idempotencyKey)?["id"]?.GetValue<string>();
        }
    }

    /// <summary>A copy of the SetupIntent that collected payment method <paramref name="paymentMethodId"/>, or null.</summary>
    public JsonObject? SetupIntentOf(string paymentMethodId)
    {
        lock (_lock)
        {
            return (JsonObject?)_setupIntents.Values.FirstOrDefault(si => si["payment_method"]?.GetValue<string>() == paymentMethodId)?.DeepClone();
        }
    }

    /// <summary>Changes stored PaymentMethod <paramref name="id"/> as Stripe would on its own (the card updater, the Dashboard); returns a copy.</summary>
    public JsonObject ChangeMethod(string id, Action<JsonObject> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        lock (_lock)
        {
            var method = _methods[id];
            change(method);
            return method.DeepClone().AsObject();
        }
    }

    /// <summary>A copy of a stored object (PaymentIntent, SetupIntent, PaymentMethod, customer, charge, mandate) by id.</summary>
    public JsonObject? Get(string id)
    {
        lock (_lock)
        {
            var found = _intents.GetValueOrDefault(id) ?? _setupIntents.GetValueOrDefault(id) ?? _methods.GetValueOrDefault(id)
                ?? _customers.GetValueOrDefault(id) ?? _charges.GetValueOrDefault(id) ?? _mandates.GetValueOrDefault(id);
            if (found is null)
            {
                return null;
            }
            if (found["object"]?.GetValue<string>() == "payment_intent")
            {
                Settle(found);
            }
            return (JsonObject)found.DeepClone();
        }
    }

    /// <summary>The charge of a PaymentIntent, as Stripe would send it in a <c>charge.*</c> event.</summary>
    public JsonObject? ChargeOf(string paymentIntentId)
    {
        lock (_lock)
        {
            return _intents.TryGetValue(paymentIntentId, out var pi) && pi["latest_charge"]?.GetValue<string>() is { } chargeId
                ? (JsonObject)_charges[chargeId].DeepClone() : null;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _server.Stop();

    private ResponseMessage Handle(IRequestMessage request)
    {
        var form = ParseForm(request);
        var path = request.Path.TrimEnd('/');
        var key = Header(request, "Idempotency-Key");
        if (request.Method == "OPTIONS")
        {
            return Respond(204, null);
        }

        StandInFault? fault;
        lock (_lock)
        {
            fault = _faults.FirstOrDefault(f => f.Method == request.Method && path.StartsWith(f.PathPrefix, StringComparison.Ordinal));
            if (fault is not null)
            {
                _faults.Remove(fault);
            }
        }
        if (fault is not null && !fault.AfterExecuting)
        {
            Record(request, path, form, key, replayed: false);
            if (fault.Delay > TimeSpan.Zero)
            {
                Thread.Sleep(fault.Delay);
            }
            return Error(fault.Status, fault.ErrorType ?? "api_error", fault.Code, fault.DeclineCode, "Stand-in fault.", fault.Param);
        }

        var (status, body, replayed) = WithIdempotency(request, path, form, key);
        Record(request, path, form, key, replayed);
        if (fault is not null)
        {
            if (fault.Delay > TimeSpan.Zero)
            {
                Thread.Sleep(fault.Delay);
            }
            return Error(fault.Status, fault.ErrorType ?? "api_error", fault.Code, fault.DeclineCode, "Stand-in fault after executing.");
        }
        var response = Respond(status, body);
        if (replayed)
        {
            response.Headers!["Idempotent-Replayed"] = new WireMockList<string>("true");
        }
        return response;
    }

    private (int Status, JsonNode? Body, bool Replayed) WithIdempotency(IRequestMessage request, string path, Dictionary<string, string> form, string? key)
    {
        if (request.Method != "POST" || key is null)
        {
            return SafeRoute(request, path, form);
        }
        var apiKey = ApiKey(request, form) ?? "";
        var fingerprint = request.Method + " " + path + "?" + string.Join("&", form.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value));
        var slot = apiKey + "|" + key;
        lock (_lock)
        {
            if (_idempotency.TryGetValue(slot, out var prior))
            {
                if (prior.InFlight)
                {
                    return (409, ErrorBody("idempotency_error", null, null,
                        "There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): " + key + ". Please try again later."), false);
                }
                if (prior.Fingerprint != fingerprint)
                {
                    return (400, ErrorBody("idempotency_error", null, null,
                        $"Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{key}' if you meant to execute a different request."), false);
                }
                return (prior.Status, JsonNode.Parse(prior.Body), true);
            }
            _idempotency[slot] = new Idempotent(fingerprint) { InFlight = true };
        }
        var (status, body, _) = SafeRoute(request, path, form);
        lock (_lock)
        {
            if (status is 409 or 429 or >= 500)
            {
                _idempotency.Remove(slot);
            }
            else
            {
                _idempotency[slot] = new Idempotent(fingerprint) { Status = status, Body = body?.ToJsonString() ?? "{}" };
            }
        }
        return (status, body, false);
    }

    /// <summary>A bug in the stand-in answers 500 (as Stripe's own failures do) instead of leaving the request hanging.</summary>
    private (int, JsonNode?, bool) SafeRoute(IRequestMessage request, string path, Dictionary<string, string> form)
    {
        try
        {
            return Route(request, path, form);
        }
        catch (Exception ex) when (ex is InvalidOperationException or NullReferenceException or KeyNotFoundException or FormatException)
        {
            return (500, ErrorBody("api_error", null, null, "Stand-in failure: " + ex.Message), false);
        }
    }

    private (int, JsonNode?, bool) Route(IRequestMessage request, string path, Dictionary<string, string> form)
    {
        var apiKey = ApiKey(request, form);
        var secret = apiKey == SecretKey;
        if (!secret && apiKey != PublishableKey)
        {
            return (401, ErrorBody("invalid_request_error", null, null, $"Invalid API Key provided: {Mask(apiKey)}"), false);
        }
        var s = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (s.Length < 2 || s[0] != "v1")
        {
            return NotFound("Unrecognized request URL.");
        }
        var m = request.Method;
        var query = request.Query?.ToDictionary(q => q.Key, q => q.Value.ToString() ?? "") ?? new Dictionary<string, string>();
        var args = new Dictionary<string, string>(query);
        foreach (var (k, v) in form)
        {
            args[k] = v;
        }
        // Endive (2026-09-30) and later refuse the old parameter.
        if (args.Keys.Any(k => k.StartsWith("payment_method_types", StringComparison.Ordinal)) && m == "POST")
        {
            return (400, ErrorBody("invalid_request_error", "payment_method_types_no_longer_supported", null,
                "payment_method_types can no longer be set on this API version; use allowed_payment_method_types.", "payment_method_types"), false);
        }
        lock (_lock)
        {
            return (m, s.Length, s[1], s.Length > 2 ? s[2] : null, s.Length > 3 ? s[3] : null) switch
            {
                ("POST", 2, "customers", _, _) when secret => CreateCustomer(args),
                ("POST", 2, "setup_intents", _, _) when secret => CreateSetupIntent(args),
                ("GET", 2, "setup_intents", _, _) when secret => ListSetupIntents(args),
                ("GET", 3, "setup_intents", var id, _) => ClientOrSecret(secret, _setupIntents, id!, args, si => Ok(si)),
                ("POST", 3, "setup_intents", var id, _) when !secret => ClientOrSecret(false, _setupIntents, id!, args, si => AttachToSetup(si, args)),
                ("POST", 4, "setup_intents", var id, "confirm") => ClientOrSecret(secret, _setupIntents, id!, args, si => ConfirmSetup(si, args, secret)),
                ("POST", 2, "payment_methods", _, _) => CreateMethod(args).Result,
                ("GET", 3, "payment_methods", var id, _) when secret => Find(_methods, id!, "payment_method", Ok),
                ("POST", 3, "payment_methods", var id, _) when secret => Find(_methods, id!, "payment_method", pm => UpdateMethod(pm, args)),
                ("POST", 4, "payment_methods", var id, "detach") when secret => Find(_methods, id!, "payment_method", Detach),
                ("POST", 2, "payment_intents", _, _) when secret => CreateIntent(args),
                ("GET", 2, "payment_intents", _, _) when secret => ListIntents(args),
                ("GET", 3, "payment_intents", "search", _) when secret => SearchIntents(args),
                ("GET", 3, "payment_intents", var id, _) => ClientOrSecret(secret, _intents, id!, args, pi => Ok(Expanded(pi, args))),
                ("POST", 4, "payment_intents", var id, "cancel") when secret => Find(_intents, id!, "payment_intent", pi => Cancel(pi, args)),
                ("POST", 4, "payment_intents", var id, "authenticate") when !secret => ClientOrSecret(false, _intents, id!, args, pi => Authenticate(pi, args)),
                ("POST", 2, "refunds", _, _) when secret => Refund(args),
                _ when !secret => (401, ErrorBody("invalid_request_error", "secret_key_required", null,
                    "This API call cannot be made with a publishable API key. Please use a secret API key."), false),
                _ => NotFound($"Unrecognized request URL ({m}: {path})."),
            };
        }
    }

    // ---- customers and setup ----

    private (int, JsonNode?, bool) CreateCustomer(Dictionary<string, string> a)
    {
        var id = NewId("cus");
        var customer = new JsonObject
        {
            ["id"] = id, ["object"] = "customer", ["address"] = null, ["balance"] = 0, ["created"] = Unix(), ["currency"] = null,
            ["default_source"] = null, ["delinquent"] = false, ["description"] = a.GetValueOrDefault("description"), ["email"] = a.GetValueOrDefault("email"),
            ["invoice_prefix"] = id[4..11].ToUpperInvariant(), ["invoice_settings"] = new JsonObject { ["custom_fields"] = null, ["default_payment_method"] = null, ["footer"] = null },
            ["livemode"] = false, ["metadata"] = Metadata(a), ["name"] = a.GetValueOrDefault("name"), ["next_invoice_sequence"] = 1, ["phone"] = null,
            ["preferred_locales"] = new JsonArray(), ["shipping"] = null, ["tax_exempt"] = "none", ["test_clock"] = null,
        };
        _customers[id] = customer;
        return Ok(customer);
    }

    private (int, JsonNode?, bool) CreateSetupIntent(Dictionary<string, string> a)
    {
        var customer = a.GetValueOrDefault("customer");
        if (customer is null || !_customers.ContainsKey(customer))
        {
            return Missing("customer", customer);
        }
        var types = Array(a, "allowed_payment_method_types");
        var id = NewId("seti");
        var si = new JsonObject
        {
            ["id"] = id, ["object"] = "setup_intent", ["application"] = null, ["automatic_payment_methods"] = null, ["cancellation_reason"] = null,
            ["client_secret"] = $"{id}_secret_{Guid.NewGuid():N}", ["created"] = Unix(), ["customer"] = customer, ["description"] = a.GetValueOrDefault("description"),
            ["flow_directions"] = null, ["last_setup_error"] = null, ["latest_attempt"] = null, ["livemode"] = false, ["mandate"] = null,
            ["metadata"] = Metadata(a), ["next_action"] = null, ["on_behalf_of"] = null, ["payment_method"] = null,
            ["payment_method_options"] = new JsonObject(), ["payment_method_types"] = new JsonArray(types.Length == 0 ? ["card"] : types.Select(t => (JsonNode)t!).ToArray()),
            ["single_use_mandate"] = null, ["status"] = "requires_payment_method", ["usage"] = a.GetValueOrDefault("usage") ?? "off_session",
        };
        _setupIntents[id] = si;
        return Ok(si);
    }

    private (int, JsonNode?, bool) ListSetupIntents(Dictionary<string, string> a)
    {
        var items = _setupIntents.Values
            .Where(si => a.GetValueOrDefault("customer") is not { } c || si["customer"]?.GetValue<string>() == c)
            .Where(si => a.GetValueOrDefault("payment_method") is not { } pm || si["payment_method"]?.GetValue<string>() == pm)
            .OrderByDescending(si => si["created"]!.GetValue<long>()).ThenByDescending(si => si["id"]!.GetValue<string>(), StringComparer.Ordinal)
            .Take(int.TryParse(a.GetValueOrDefault("limit"), out var limit) ? limit : 10)
            .Select(si => (JsonNode)si.DeepClone()).ToArray();
        return Ok(new JsonObject { ["object"] = "list", ["data"] = new JsonArray(items), ["has_more"] = false, ["url"] = "/v1/setup_intents" });
    }

    /// <summary>collectBankAccountForSetup: the linked account's PaymentMethod is put on the SetupIntent, which then waits for confirmation.</summary>
    private (int, JsonNode?, bool) AttachToSetup(JsonObject si, Dictionary<string, string> a)
    {
        if (a.GetValueOrDefault("payment_method") is not { } pmId || !_methods.TryGetValue(pmId, out var pm))
        {
            return Missing("payment_method", a.GetValueOrDefault("payment_method"));
        }
        if (pm["type"]!.GetValue<string>() != "us_bank_account" || si["status"]!.GetValue<string>() != "requires_payment_method")
        {
            return (400, ErrorBody("invalid_request_error", "setup_intent_unexpected_state", null, "This SetupIntent cannot take that payment method now."), false);
        }
        si["payment_method"] = pmId;
        si["status"] = "requires_confirmation";
        return Ok(si);
    }

    private (int, JsonNode?, bool) ConfirmSetup(JsonObject si, Dictionary<string, string> a, bool secret)
    {
        var status = si["status"]!.GetValue<string>();
        if (status is not ("requires_payment_method" or "requires_confirmation"))
        {
            return (400, ErrorBody("invalid_request_error", "setup_intent_unexpected_state", null,
                $"You cannot confirm this SetupIntent because it has a status of {status}.", setupIntent: si), false);
        }
        string pmId;
        if (a.ContainsKey("payment_method_data[type]"))
        {
            var (created, error) = CreateMethod(a, "payment_method_data");
            if (error is not null)
            {
                return error.Value;
            }
            pmId = created!;
        }
        else if ((a.GetValueOrDefault("payment_method") ?? si["payment_method"]?.GetValue<string>()) is { } existing && _methods.ContainsKey(existing))
        {
            pmId = existing;
        }
        else
        {
            return (400, ErrorBody("invalid_request_error", "parameter_missing", null, "You must provide a payment method to confirm this SetupIntent.", "payment_method"), false);
        }
        var pm = _methods[pmId];
        si["payment_method"] = pmId;
        var scenario = _scenarios[pmId];
        if (pm["type"]!.GetValue<string>() == "us_bank_account")
        {
            if (!secret && !a.ContainsKey("mandate_data[customer_acceptance][type]"))
            {
                si["status"] = "requires_confirmation";
                return Ok(si);
            }
            var type = a.GetValueOrDefault("mandate_data[customer_acceptance][type]");
            if (type is null)
            {
                return (400, ErrorBody("invalid_request_error", "parameter_missing", null, "Missing required param: mandate_data[customer_acceptance][type].", "mandate_data[customer_acceptance][type]"), false);
            }
            if (type == "online" && (!a.ContainsKey("mandate_data[customer_acceptance][online][ip_address]") || !a.ContainsKey("mandate_data[customer_acceptance][online][user_agent]")))
            {
                return (400, ErrorBody("invalid_request_error", "parameter_missing", null, "Online acceptance needs ip_address and user_agent.", "mandate_data[customer_acceptance][online]"), false);
            }
            var mandateId = NewId("mandate");
            _mandates[mandateId] = new JsonObject
            {
                ["id"] = mandateId, ["object"] = "mandate",
                ["customer_acceptance"] = new JsonObject
                {
                    ["accepted_at"] = long.TryParse(a.GetValueOrDefault("mandate_data[customer_acceptance][accepted_at]"), out var at) ? at : Unix(),
                    ["type"] = type,
                    ["online"] = type == "online" ? new JsonObject
                    {
                        ["ip_address"] = a["mandate_data[customer_acceptance][online][ip_address]"],
                        ["user_agent"] = a["mandate_data[customer_acceptance][online][user_agent]"],
                    } : null,
                    ["offline"] = type == "offline" ? new JsonObject() : null,
                },
                ["livemode"] = false, ["payment_method"] = pmId, ["status"] = "active", ["type"] = "multi_use",
            };
            si["mandate"] = mandateId;
        }
        else if (scenario == "decline_on_setup")
        {
            var error = ErrorObject("card_error", "card_declined", "generic_decline", "Your card was declined.", paymentMethod: pm);
            si["last_setup_error"] = error;
            si["status"] = "requires_payment_method";
            si["payment_method"] = null;
            return (402, new JsonObject { ["error"] = Merge(ErrorObject("card_error", "card_declined", "generic_decline", "Your card was declined."), "setup_intent", si) }, false);
        }
        pm["customer"] = si["customer"]!.GetValue<string>();
        si["status"] = "succeeded";
        si["last_setup_error"] = null;
        return Ok(si);
    }

    // ---- payment methods ----

    private ((int, JsonNode?, bool) Result, string? Id) CreateMethodResult(Dictionary<string, string> a, string prefix)
    {
        var (id, error) = CreateMethod(a, prefix);
        return error is { } e ? (e, null) : (Ok(_methods[id!]), id);
    }

    private ((int, JsonNode?, bool) Result, string? Id) CreateMethod(Dictionary<string, string> a) => CreateMethodResult(a, "");

    private (string? Id, (int, JsonNode?, bool)? Error) CreateMethod(Dictionary<string, string> a, string prefix)
    {
        string P(string name) => prefix.Length == 0 ? name : name.Contains('[', StringComparison.Ordinal) ? $"{prefix}[{name[..name.IndexOf('[', StringComparison.Ordinal)]}]{name[name.IndexOf('[', StringComparison.Ordinal)..]}" : $"{prefix}[{name}]";
        var type = a.GetValueOrDefault(P("type"));
        var id = NewId("pm");
        var billing = new JsonObject
        {
            ["address"] = new JsonObject { ["city"] = null, ["country"] = null, ["line1"] = null, ["line2"] = null, ["postal_code"] = a.GetValueOrDefault(P("billing_details[address][postal_code]")), ["state"] = null },
            ["email"] = a.GetValueOrDefault(P("billing_details[email]")), ["name"] = a.GetValueOrDefault(P("billing_details[name]")), ["phone"] = null, ["tax_id"] = null,
        };
        var pm = new JsonObject
        {
            ["id"] = id, ["object"] = "payment_method", ["allow_redisplay"] = "unspecified", ["billing_details"] = billing, ["created"] = Unix(),
            ["customer"] = null, ["livemode"] = false, ["metadata"] = new JsonObject(), ["type"] = type,
        };
        if (type == "card")
        {
            var number = new string((a.GetValueOrDefault(P("card[number]")) ?? "").Where(char.IsAsciiDigit).ToArray());
            if (number.Length is < 12 or > 19 || !Luhn(number))
            {
                return (null, (402, ErrorBody("card_error", "incorrect_number", null, "Your card number is incorrect.", "number"), false));
            }
            if (!int.TryParse(a.GetValueOrDefault(P("card[exp_month]")), out var month) || month is < 1 or > 12)
            {
                return (null, (402, ErrorBody("card_error", "invalid_expiry_month", null, "Your card's expiration month is invalid.", "exp_month"), false));
            }
            if (!int.TryParse(a.GetValueOrDefault(P("card[exp_year]")), out var year) || year < 100)
            {
                year += 2000;
            }
            if (year < _clock.GetUtcNow().Year || (year == _clock.GetUtcNow().Year && month < _clock.GetUtcNow().Month))
            {
                return (null, (402, ErrorBody("card_error", "invalid_expiry_year", null, "Your card's expiration year is invalid.", "exp_year"), false));
            }
            var brand = number.StartsWith('4') ? "visa" : number.StartsWith('5') ? "mastercard" : number.StartsWith("34", StringComparison.Ordinal) || number.StartsWith("37", StringComparison.Ordinal) ? "amex" : number.StartsWith("6011", StringComparison.Ordinal) ? "discover" : "unknown";
            pm["card"] = new JsonObject
            {
                ["brand"] = brand, ["checks"] = new JsonObject { ["address_line1_check"] = null, ["address_postal_code_check"] = null, ["cvc_check"] = "pass" },
                ["country"] = "US", ["display_brand"] = brand, ["exp_month"] = month, ["exp_year"] = year, ["fingerprint"] = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(number)))[..16],
                ["funding"] = "credit", ["generated_from"] = null, ["last4"] = number[^4..], ["networks"] = new JsonObject { ["available"] = new JsonArray(brand), ["preferred"] = null },
                ["three_d_secure_usage"] = new JsonObject { ["supported"] = true }, ["wallet"] = null, ["regulated_status"] = null,
            };
            _scenarios[id] = number switch
            {
                "4000000000000002" => "decline_on_setup",
                "4000000000000341" => "generic_decline",
                "4000000000009995" => "insufficient_funds",
                "4000000000009987" => "lost_card",
                "4000000000009979" => "stolen_card",
                "4000000000000069" => "expired_card",
                "4000000000000127" => "incorrect_cvc",
                "4000000000000119" => "processing_error",
                "4000002760003184" => "authentication_required",
                _ => "ok",
            };
        }
        else if (type == "us_bank_account")
        {
            var routing = a.GetValueOrDefault(P("us_bank_account[routing_number]")) ?? "";
            var account = a.GetValueOrDefault(P("us_bank_account[account_number]")) ?? "";
            if (routing.Length != 9 || !routing.All(char.IsAsciiDigit) || !AbaValid(routing))
            {
                return (null, (400, ErrorBody("invalid_request_error", "routing_number_invalid", null, "Invalid routing number.", "us_bank_account[routing_number]"), false));
            }
            if (account.Length is < 4 or > 17 || !account.All(char.IsAsciiDigit))
            {
                return (null, (400, ErrorBody("invalid_request_error", "account_number_invalid", null, "Invalid account number.", "us_bank_account[account_number]"), false));
            }
            pm["us_bank_account"] = new JsonObject
            {
                ["account_holder_type"] = a.GetValueOrDefault(P("us_bank_account[account_holder_type]")) ?? "company",
                ["account_type"] = a.GetValueOrDefault(P("us_bank_account[account_type]")) ?? "checking",
                ["bank_name"] = "STRIPE TEST BANK", ["financial_connections_account"] = null, ["fingerprint"] = Guid.NewGuid().ToString("N")[..16],
                ["last4"] = account[^4..], ["networks"] = new JsonObject { ["preferred"] = "ach", ["supported"] = new JsonArray("ach") },
                ["routing_number"] = routing, ["status_details"] = null,
            };
            _scenarios[id] = account switch
            {
                "000222222227" => "insufficient_funds",
                "000111111113" => "account_closed",
                "000111111116" => "no_account",
                _ => "ok",
            };
        }
        else
        {
            return (null, (400, ErrorBody("invalid_request_error", "parameter_invalid_empty", null, "Invalid payment method type.", "type"), false));
        }
        _methods[id] = pm;
        return (id, null);
    }

    private (int, JsonNode?, bool) UpdateMethod(JsonObject pm, Dictionary<string, string> a)
    {
        if (pm["customer"] is null)
        {
            return (400, ErrorBody("invalid_request_error", "payment_method_unexpected_state", null, "You must save this PaymentMethod to a customer before you can update it."), false);
        }
        if (pm["card"] is JsonObject card)
        {
            if (a.GetValueOrDefault("card[exp_month]") is { } ms)
            {
                if (!int.TryParse(ms, out var month) || month is < 1 or > 12)
                {
                    return (402, ErrorBody("card_error", "invalid_expiry_month", null, "Your card's expiration month is invalid.", "card[exp_month]"), false);
                }
                card["exp_month"] = month;
            }
            if (a.GetValueOrDefault("card[exp_year]") is { } ys)
            {
                if (!int.TryParse(ys, out var year) || year < _clock.GetUtcNow().Year)
                {
                    return (402, ErrorBody("card_error", "invalid_expiry_year", null, "Your card's expiration year is invalid.", "card[exp_year]"), false);
                }
                card["exp_year"] = year;
            }
        }
        else if (a.Keys.Any(k => k.StartsWith("card[", StringComparison.Ordinal)))
        {
            return (400, ErrorBody("invalid_request_error", "parameter_unknown", null, "This PaymentMethod is not a card.", "card"), false);
        }
        // Stripe merges metadata keys on update (an empty value deletes the key).
        var metadata = pm["metadata"] as JsonObject ?? new JsonObject();
        foreach (var (k, v) in Metadata(a))
        {
            if (v?.GetValue<string>() is { Length: > 0 } value)
            {
                metadata[k] = value;
            }
            else
            {
                metadata.Remove(k);
            }
        }
        pm["metadata"] = metadata;
        var billing = (JsonObject)pm["billing_details"]!;
        if (a.GetValueOrDefault("billing_details[name]") is { } name)
        {
            billing["name"] = name.Length == 0 ? null : name;
        }
        if (a.GetValueOrDefault("billing_details[address][postal_code]") is { } postal)
        {
            billing["address"]!["postal_code"] = postal.Length == 0 ? null : postal;
        }
        return Ok(pm);
    }

    private (int, JsonNode?, bool) Detach(JsonObject pm)
    {
        if (pm["customer"] is null)
        {
            return (400, ErrorBody("invalid_request_error", "payment_method_unexpected_state", null, "The payment method you provided is not attached to a customer so detachment is impossible."), false);
        }
        pm["customer"] = null;
        return Ok(pm);
    }

    // ---- payment intents ----

    private (int, JsonNode?, bool) CreateIntent(Dictionary<string, string> a)
    {
        if (ChargeLatency > TimeSpan.Zero)
        {
            Monitor.Exit(_lock);
            try
            {
                Thread.Sleep(ChargeLatency);
            }
            finally
            {
                Monitor.Enter(_lock);
            }
        }
        if (!long.TryParse(a.GetValueOrDefault("amount"), out var amount))
        {
            return (400, ErrorBody("invalid_request_error", "parameter_missing", null, "Missing required param: amount.", "amount"), false);
        }
        var currency = a.GetValueOrDefault("currency") ?? "";
        if (amount < 50 && currency is "usd" or "eur" or "gbp" or "cad")
        {
            return (400, ErrorBody("invalid_request_error", "amount_too_small", null, "Amount must be at least $0.50 usd.", "amount"), false);
        }
        var customer = a.GetValueOrDefault("customer");
        if (customer is null || !_customers.ContainsKey(customer))
        {
            return Missing("customer", customer);
        }
        var pmId = a.GetValueOrDefault("payment_method");
        if (pmId is null || !_methods.TryGetValue(pmId, out var pm))
        {
            return Missing("payment_method", pmId);
        }
        if (pm["customer"]?.GetValue<string>() != customer)
        {
            return (400, ErrorBody("invalid_request_error", null, null, "The provided PaymentMethod belongs to a different Customer or to none.", "payment_method"), false);
        }
        var type = pm["type"]!.GetValue<string>();
        var allowed = Array(a, "allowed_payment_method_types");
        if (allowed.Length > 0 && !allowed.Contains(type))
        {
            return (400, ErrorBody("invalid_request_error", "payment_intent_incompatible_payment_method", null, "The PaymentMethod's type is not allowed on this PaymentIntent.", "payment_method"), false);
        }
        if (type == "card" && a.ContainsKey("statement_descriptor"))
        {
            return (400, ErrorBody("invalid_request_error", null, null, "statement_descriptor is not supported for card payments; use statement_descriptor_suffix.", "statement_descriptor"), false);
        }
        if ((a.GetValueOrDefault("statement_descriptor") ?? a.GetValueOrDefault("statement_descriptor_suffix"))?.Length > 22)
        {
            return (400, ErrorBody("invalid_request_error", null, null, "The statement descriptor must be at most 22 characters.", "statement_descriptor_suffix"), false);
        }

        var id = NewId("pi");
        var offSession = a.GetValueOrDefault("off_session") == "true";
        var pi = new JsonObject
        {
            ["id"] = id, ["object"] = "payment_intent", ["amount"] = amount, ["amount_capturable"] = 0L, ["amount_details"] = new JsonObject { ["tip"] = new JsonObject() },
            ["amount_received"] = 0L, ["application"] = null, ["application_fee_amount"] = null, ["automatic_payment_methods"] = null, ["canceled_at"] = null,
            ["cancellation_reason"] = null, ["capture_method"] = "automatic", ["client_secret"] = $"{id}_secret_{Guid.NewGuid():N}", ["confirmation_method"] = "automatic",
            ["created"] = Unix(), ["currency"] = currency, ["customer"] = customer, ["description"] = a.GetValueOrDefault("description"),
            ["last_payment_error"] = null, ["latest_charge"] = null, ["livemode"] = false, ["metadata"] = Metadata(a), ["next_action"] = null,
            ["on_behalf_of"] = null, ["payment_method"] = pmId, ["payment_method_configuration_details"] = null, ["payment_method_options"] = new JsonObject(),
            ["payment_method_types"] = new JsonArray(type), ["processing"] = null, ["receipt_email"] = null, ["review"] = null, ["setup_future_usage"] = null,
            ["shipping"] = null, ["source"] = null, ["statement_descriptor"] = a.GetValueOrDefault("statement_descriptor"),
            ["statement_descriptor_suffix"] = a.GetValueOrDefault("statement_descriptor_suffix"), ["status"] = "requires_confirmation",
            ["transfer_data"] = null, ["transfer_group"] = null,
        };
        _intents[id] = pi;
        _intentCreated[id] = _clock.GetUtcNow();
        if (a.GetValueOrDefault("confirm") != "true")
        {
            return Ok(pi);
        }

        var scenario = _scenarios[pmId];
        if (type == "us_bank_account")
        {
            pi["status"] = "processing";
            pi["processing"] = null;
            NewCharge(pi, pm, "pending");
            return Ok(pi);
        }
        if (scenario == "authentication_required")
        {
            if (offSession)
            {
                return Decline(pi, pm, "authentication_required", "authentication_required", "Your card was declined. This transaction requires authentication.");
            }
            pi["status"] = "requires_action";
            pi["next_action"] = new JsonObject { ["type"] = "use_stripe_sdk", ["use_stripe_sdk"] = new JsonObject { ["type"] = "three_d_secure_redirect", ["stripe_js"] = "https://hooks.stripe.com/3d_secure_2/hosted" } };
            return Ok(pi);
        }
        return scenario switch
        {
            "generic_decline" => Decline(pi, pm, "card_declined", "generic_decline", "Your card was declined."),
            "insufficient_funds" => Decline(pi, pm, "card_declined", "insufficient_funds", "Your card has insufficient funds."),
            "lost_card" => Decline(pi, pm, "card_declined", "lost_card", "Your card was declined."),
            "stolen_card" => Decline(pi, pm, "card_declined", "stolen_card", "Your card was declined."),
            "expired_card" => Decline(pi, pm, "expired_card", "expired_card", "Your card has expired."),
            "incorrect_cvc" => Decline(pi, pm, "incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect."),
            "processing_error" => Decline(pi, pm, "processing_error", "processing_error", "An error occurred while processing your card. Try again in a little bit."),
            _ => Succeed(pi, pm),
        };
    }

    private (int, JsonNode?, bool) Succeed(JsonObject pi, JsonObject pm)
    {
        pi["status"] = "succeeded";
        pi["amount_received"] = pi["amount"]!.GetValue<long>();
        pi["next_action"] = null;
        NewCharge(pi, pm, "succeeded");
        return Ok(pi);
    }

    private (int, JsonNode?, bool) Decline(JsonObject pi, JsonObject pm, string code, string declineCode, string message)
    {
        var error = ErrorObject("card_error", code, declineCode, message, paymentMethod: pm);
        pi["status"] = "requires_payment_method";
        pi["last_payment_error"] = error;
        pi["next_action"] = null;
        var charge = NewCharge(pi, pm, "failed");
        charge["failure_code"] = code;
        charge["failure_message"] = message;
        charge["outcome"] = new JsonObject { ["network_status"] = "declined_by_network", ["reason"] = declineCode, ["type"] = "issuer_declined" };
        var body = ErrorObject("card_error", code, declineCode, message);
        body["charge"] = charge["id"]!.GetValue<string>();
        return (402, new JsonObject { ["error"] = Merge(body, "payment_intent", pi) }, false);
    }

    private JsonObject NewCharge(JsonObject pi, JsonObject pm, string status)
    {
        var id = NewId("ch");
        var type = pm["type"]!.GetValue<string>();
        var charge = new JsonObject
        {
            ["id"] = id, ["object"] = "charge", ["amount"] = pi["amount"]!.GetValue<long>(), ["amount_captured"] = status == "succeeded" ? pi["amount"]!.GetValue<long>() : 0,
            ["amount_refunded"] = 0L, ["balance_transaction"] = null, ["billing_details"] = pm["billing_details"]!.DeepClone(), ["captured"] = status == "succeeded",
            ["created"] = Unix(), ["currency"] = pi["currency"]!.GetValue<string>(), ["customer"] = pi["customer"]!.GetValue<string>(), ["description"] = pi["description"]?.GetValue<string>(),
            ["disputed"] = false, ["failure_code"] = null, ["failure_message"] = null, ["livemode"] = false, ["metadata"] = pi["metadata"]!.DeepClone(),
            ["outcome"] = null, ["paid"] = status == "succeeded", ["payment_intent"] = pi["id"]!.GetValue<string>(), ["payment_method"] = pm["id"]!.GetValue<string>(),
            ["payment_method_details"] = type == "card"
                ? new JsonObject { ["type"] = "card", ["card"] = new JsonObject { ["brand"] = pm["card"]!["brand"]!.GetValue<string>(), ["last4"] = pm["card"]!["last4"]!.GetValue<string>(), ["exp_month"] = pm["card"]!["exp_month"]!.GetValue<int>(), ["exp_year"] = pm["card"]!["exp_year"]!.GetValue<int>() } }
                : new JsonObject { ["type"] = "us_bank_account", ["us_bank_account"] = new JsonObject { ["bank_name"] = "STRIPE TEST BANK", ["last4"] = pm["us_bank_account"]!["last4"]!.GetValue<string>(), ["routing_number"] = pm["us_bank_account"]!["routing_number"]!.GetValue<string>() } },
            ["refunded"] = false, ["refunds"] = new JsonObject { ["object"] = "list", ["data"] = new JsonArray(), ["has_more"] = false, ["url"] = $"/v1/charges/{id}/refunds" },
            ["status"] = status,
        };
        _charges[id] = charge;
        pi["latest_charge"] = id;
        return charge;
    }

    /// <summary>ACH debits settle (or are returned) once <see cref="AchSettlementDelay"/> has passed on the stand-in's clock.</summary>
    private void Settle(JsonObject pi)
    {
        if (pi["status"]!.GetValue<string>() != "processing" || _clock.GetUtcNow() - _intentCreated[pi["id"]!.GetValue<string>()] < AchSettlementDelay)
        {
            return;
        }
        var pmId = pi["payment_method"]!.GetValue<string>();
        var charge = _charges[pi["latest_charge"]!.GetValue<string>()];
        var scenario = _scenarios[pmId];
        if (scenario == "ok")
        {
            pi["status"] = "succeeded";
            pi["amount_received"] = pi["amount"]!.GetValue<long>();
            charge["status"] = "succeeded";
            charge["paid"] = true;
            charge["captured"] = true;
            charge["amount_captured"] = pi["amount"]!.GetValue<long>();
            return;
        }
        var error = ErrorObject("invalid_request_error", scenario, null, "The customer's bank returned the debit.", paymentMethod: _methods[pmId]);
        pi["status"] = "requires_payment_method";
        pi["last_payment_error"] = error;
        charge["status"] = "failed";
        charge["failure_code"] = scenario;
    }

    private JsonObject Expanded(JsonObject pi, Dictionary<string, string> a)
    {
        Settle(pi);
        var copy = (JsonObject)pi.DeepClone();
        var expand = a.Where(p => p.Key.StartsWith("expand", StringComparison.Ordinal)).Select(p => p.Value).ToList();
        if ((expand.Contains("latest_charge") || expand.Contains("data.latest_charge")) && copy["latest_charge"]?.GetValue<string>() is { } chargeId)
        {
            copy["latest_charge"] = _charges[chargeId].DeepClone();
        }
        return copy;
    }

    private (int, JsonNode?, bool) SearchIntents(Dictionary<string, string> a)
    {
        var match = Regex.Match(a.GetValueOrDefault("query") ?? "", @"^metadata\['(?<k>[a-z_]+)'\]:'(?<v>(?:\\.|[^'\\])*)'$");
        if (!match.Success)
        {
            return (400, ErrorBody("invalid_request_error", null, null, "The stand-in only understands metadata['key']:'value' queries.", "query"), false);
        }
        var k = match.Groups["k"].Value;
        var v = Regex.Replace(match.Groups["v"].Value, @"\\(.)", "$1");
        var items = _intents.Values.Where(pi => !SearchIsBehind && pi["metadata"]?[k]?.GetValue<string>() == v)
            .Select(pi => (JsonNode)Expanded(pi, a)).ToArray();
        return Ok(new JsonObject { ["object"] = "search_result", ["data"] = new JsonArray(items), ["has_more"] = false, ["next_page"] = null, ["url"] = "/v1/payment_intents/search" });
    }

    private (int, JsonNode?, bool) ListIntents(Dictionary<string, string> a)
    {
        var since = long.TryParse(a.GetValueOrDefault("created[gte]"), out var gte) ? gte : 0;
        var limit = int.TryParse(a.GetValueOrDefault("limit"), out var l) ? l : 10;
        var ordered = _intents.Values.Where(pi => pi["created"]!.GetValue<long>() >= since)
            .OrderByDescending(pi => pi["created"]!.GetValue<long>()).ThenByDescending(pi => pi["id"]!.GetValue<string>(), StringComparer.Ordinal).ToList();
        if (a.GetValueOrDefault("starting_after") is { } after)
        {
            var index = ordered.FindIndex(pi => pi["id"]!.GetValue<string>() == after);
            ordered = index < 0 ? [] : ordered.Skip(index + 1).ToList();
        }
        var page = ordered.Take(limit).Select(pi => (JsonNode)Expanded(pi, a)).ToArray();
        return Ok(new JsonObject { ["object"] = "list", ["data"] = new JsonArray(page), ["has_more"] = ordered.Count > limit, ["url"] = "/v1/payment_intents" });
    }

    private (int, JsonNode?, bool) Cancel(JsonObject pi, Dictionary<string, string> a)
    {
        Settle(pi);
        var status = pi["status"]!.GetValue<string>();
        if (status is "succeeded" or "canceled")
        {
            return (400, ErrorBody("invalid_request_error", "payment_intent_unexpected_state", null,
                $"You cannot cancel this PaymentIntent because it has a status of {status}.", paymentIntent: pi), false);
        }
        pi["status"] = "canceled";
        pi["canceled_at"] = Unix();
        pi["cancellation_reason"] = a.GetValueOrDefault("cancellation_reason");
        return Ok(pi);
    }

    /// <summary>The 3-D Secure page Stripe.js opens: the payer completes (or fails) the authentication.</summary>
    private (int, JsonNode?, bool) Authenticate(JsonObject pi, Dictionary<string, string> a)
    {
        if (pi["status"]!.GetValue<string>() != "requires_action")
        {
            return (400, ErrorBody("invalid_request_error", "payment_intent_unexpected_state", null, "This PaymentIntent needs no authentication.", paymentIntent: pi), false);
        }
        var pm = _methods[pi["payment_method"]!.GetValue<string>()];
        if (a.GetValueOrDefault("result") == "complete")
        {
            Succeed(pi, pm);
            return Ok(pi);
        }
        pi["status"] = "requires_payment_method";
        pi["next_action"] = null;
        pi["last_payment_error"] = ErrorObject("invalid_request_error", "payment_intent_authentication_failure", null,
            "We are unable to authenticate your payment method. Please choose a different payment method and try again.", paymentMethod: pm);
        return Ok(pi);
    }

    private (int, JsonNode?, bool) Refund(Dictionary<string, string> a)
    {
        if (a.GetValueOrDefault("payment_intent") is not { } piId || !_intents.TryGetValue(piId, out var pi))
        {
            return Missing("payment_intent", a.GetValueOrDefault("payment_intent"));
        }
        Settle(pi);
        if (pi["status"]!.GetValue<string>() != "succeeded" || pi["latest_charge"]?.GetValue<string>() is not { } chargeId)
        {
            return (400, ErrorBody("invalid_request_error", "charge_not_refundable", null, "This PaymentIntent has no successful charge to refund.", paymentIntent: pi), false);
        }
        var charge = _charges[chargeId];
        var remaining = charge["amount"]!.GetValue<long>() - charge["amount_refunded"]!.GetValue<long>();
        if (remaining <= 0)
        {
            return (400, ErrorBody("invalid_request_error", "charge_already_refunded", null, $"Charge {chargeId} has already been refunded."), false);
        }
        var amount = long.TryParse(a.GetValueOrDefault("amount"), out var requested) ? requested : remaining;
        if (amount > remaining)
        {
            return (400, ErrorBody("invalid_request_error", "amount_too_large", null, "Refund amount is greater than the unrefunded amount.", "amount"), false);
        }
        charge["amount_refunded"] = charge["amount_refunded"]!.GetValue<long>() + amount;
        charge["refunded"] = charge["amount_refunded"]!.GetValue<long>() >= charge["amount"]!.GetValue<long>();
        var id = NewId("re");
        var bank = charge["payment_method_details"]!["type"]!.GetValue<string>() == "us_bank_account";
        return Ok(new JsonObject
        {
            ["id"] = id, ["object"] = "refund", ["amount"] = amount, ["balance_transaction"] = null, ["charge"] = chargeId, ["created"] = Unix(),
            ["currency"] = charge["currency"]!.GetValue<string>(), ["destination_details"] = null, ["metadata"] = Metadata(a), ["payment_intent"] = piId,
            ["reason"] = a.GetValueOrDefault("reason"), ["receipt_number"] = null, ["source_transfer_reversal"] = null,
            ["status"] = bank ? "pending" : "succeeded", ["transfer_reversal"] = null,
        });
    }

    // ---- helpers ----

    private (int, JsonNode?, bool) ClientOrSecret(bool secret, Dictionary<string, JsonObject> store, string id, Dictionary<string, string> a, Func<JsonObject, (int, JsonNode?, bool)> then)
    {
        if (!store.TryGetValue(id, out var item))
        {
            return NotFound($"No such object: '{id}'", "resource_missing");
        }
        if (!secret && a.GetValueOrDefault("client_secret") != item["client_secret"]?.GetValue<string>())
        {
            return (400, ErrorBody("invalid_request_error", "resource_missing", null, "The client_secret provided does not match this object.", "client_secret"), false);
        }
        return then(item);
    }

    private (int, JsonNode?, bool) Find(Dictionary<string, JsonObject> store, string id, string kind, Func<JsonObject, (int, JsonNode?, bool)> then) =>
        store.TryGetValue(id, out var item) ? then(item) : (404, ErrorBody("invalid_request_error", "resource_missing", null, $"No such {kind}: '{id}'", kind == "payment_method" ? "payment_method" : "id"), false);

    private static (int, JsonNode?, bool) Ok(JsonObject o) => (200, o.DeepClone(), false);

    private static (int, JsonNode?, bool) NotFound(string message, string? code = null) => (404, ErrorBody("invalid_request_error", code, null, message), false);

    private static (int, JsonNode?, bool) Missing(string param, string? value) =>
        (400, ErrorBody("invalid_request_error", "resource_missing", null, $"No such {param}: '{value}'", param), false);

    private static JsonObject ErrorObject(string type, string? code, string? declineCode, string message, string? param = null, JsonObject? paymentMethod = null)
    {
        var error = new JsonObject
        {
            ["type"] = type, ["message"] = message, ["request_log_url"] = "https://dashboard.stripe.com/test/logs/req_standin",
        };
        if (code is not null)
        {
            error["code"] = code;
            error["doc_url"] = $"https://docs.stripe.com/error-codes/{code.Replace('_', '-')}";
        }
        if (declineCode is not null)
        {
            error["decline_code"] = declineCode;
        }
        if (param is not null)
        {
            error["param"] = param;
        }
        if (paymentMethod is not null)
        {
            error["payment_method"] = paymentMethod.DeepClone();
        }
        return error;
    }

    private static JsonObject ErrorBody(string type, string? code, string? declineCode, string message, string? param = null, JsonObject? paymentIntent = null, JsonObject? setupIntent = null)
    {
        var error = ErrorObject(type, code, declineCode, message, param);
        if (paymentIntent is not null)
        {
            error["payment_intent"] = paymentIntent.DeepClone();
        }
        if (setupIntent is not null)
        {
            error["setup_intent"] = setupIntent.DeepClone();
        }
        return new JsonObject { ["error"] = error };
    }

    private static JsonObject Merge(JsonObject error, string name, JsonObject value)
    {
        error[name] = value.DeepClone();
        return error;
    }

    private static ResponseMessage Error(int status, string type, string? code, string? declineCode, string message, string? param = null) =>
        Respond(status, ErrorBody(type, code, declineCode, message, param));

    private static ResponseMessage Respond(int status, JsonNode? body)
    {
        var response = new ResponseMessage
        {
            StatusCode = status,
            Headers = new Dictionary<string, WireMockList<string>>
            {
                ["Content-Type"] = new("application/json"),
                ["Request-Id"] = new("req_" + Guid.NewGuid().ToString("N")[..14]),
                ["Access-Control-Allow-Origin"] = new("*"),
                ["Access-Control-Allow-Headers"] = new("Content-Type, Authorization, Stripe-Version"),
                ["Access-Control-Allow-Methods"] = new("GET, POST, OPTIONS"),
            },
        };
        if (body is not null)
        {
            response.BodyData = new BodyData { BodyAsString = body.ToJsonString(), DetectedBodyType = BodyType.String, Encoding = Encoding.UTF8 };
        }
        return response;
    }

    private string NewId(string prefix) => $"{prefix}_{Interlocked.Increment(ref _sequence):D6}{Guid.NewGuid().ToString("N")[..14]}";

    private long Unix() => _clock.GetUtcNow().ToUnixTimeSeconds();

    private static JsonObject Metadata(Dictionary<string, string> a)
    {
        var metadata = new JsonObject();
        foreach (var (k, v) in a.Where(p => p.Key.StartsWith("metadata[", StringComparison.Ordinal)).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            metadata[k["metadata[".Length..^1]] = v;
        }
        return metadata;
    }

    private static string[] Array(Dictionary<string, string> a, string name) =>
        a.Where(p => p.Key.StartsWith(name + "[", StringComparison.Ordinal)).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value).ToArray();

    private static Dictionary<string, string> ParseForm(IRequestMessage request)
    {
        var form = new Dictionary<string, string>(StringComparer.Ordinal);
        var text = request.BodyAsBytes is { Length: > 0 } bytes ? Encoding.UTF8.GetString(bytes) : request.Body ?? "";
        foreach (var pair in text.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var k = WebUtility.UrlDecode(eq < 0 ? pair : pair[..eq]);
            form[k] = eq < 0 ? "" : WebUtility.UrlDecode(pair[(eq + 1)..]);
        }
        if (request.RawQuery is { Length: > 0 } raw)
        {
            foreach (var pair in raw.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                var k = WebUtility.UrlDecode(eq < 0 ? pair : pair[..eq]);
                form.TryAdd(k, eq < 0 ? "" : WebUtility.UrlDecode(pair[(eq + 1)..]));
            }
        }
        return form;
    }

    private static string? Header(IRequestMessage request, string name) =>
        request.Headers?.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault();

    private static string? ApiKey(IRequestMessage request, Dictionary<string, string> form) =>
        Header(request, "Authorization") is { } auth && auth.StartsWith("Bearer ", StringComparison.Ordinal) ? auth[7..] : form.GetValueOrDefault("key");

    private void Record(IRequestMessage request, string path, Dictionary<string, string> form, string? key, bool replayed)
    {
        // Never keep what a browser sent as card or account numbers or security codes.
        var masked = form.ToDictionary(p => p.Key, p => p.Key.EndsWith("[number]", StringComparison.Ordinal) || p.Key.EndsWith("[cvc]", StringComparison.Ordinal)
            || p.Key.EndsWith("[account_number]", StringComparison.Ordinal) ? "***" : p.Value);
        _requests.Enqueue(new StandInRequest(request.Method, path, masked, key, Header(request, "Stripe-Version"), replayed));
    }

    private static string Mask(string? key) => key is null ? "(none)" : key.Length <= 8 ? "****" : key[..8] + "****" + key[^4..];

    private static bool Luhn(string digits)
    {
        var sum = 0;
        for (var i = 0; i < digits.Length; i++)
        {
            var d = digits[digits.Length - 1 - i] - '0';
            if (i % 2 == 1)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }
            sum += d;
        }
        return sum % 10 == 0;
    }

    private static bool AbaValid(string r) =>
        (3 * (r[0] - '0' + r[3] - '0' + r[6] - '0') + 7 * (r[1] - '0' + r[4] - '0' + r[7] - '0') + (r[2] - '0' + r[5] - '0' + r[8] - '0')) % 10 == 0;


    private sealed class Idempotent(string fingerprint)
    {
        public string Fingerprint { get; } = fingerprint;
        public bool InFlight { get; init; }
        public int Status { get; init; }
        public string Body { get; init; } = "{}";
    }
}

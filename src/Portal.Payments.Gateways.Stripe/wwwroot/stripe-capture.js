// Portal.Payments Stripe capture: loads Stripe.js from Stripe (never bundled, never from our server), mounts the
// Payment Element for cards, runs collectBankAccountForSetup for US bank accounts and handleNextAction for 3-D Secure.
// Only the resulting payment method id (pm_…) goes back to the server.
const STRIPE_JS = "https://js.stripe.com/v3/";
const clients = new Map();
const mounted = new Map();
let loading;

function loadStripe() {
  if (window.Stripe) {
    return Promise.resolve(window.Stripe);
  }
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      let script = document.querySelector(`script[src="${STRIPE_JS}"]`);
      if (!script) {
        script = document.createElement("script");
        script.src = STRIPE_JS;
        script.async = true;
        document.head.appendChild(script);
      }
      script.addEventListener("load", () => (window.Stripe ? resolve(window.Stripe) : reject(new Error("Stripe.js did not start."))));
      script.addEventListener("error", () => {
        loading = undefined;
        script.remove();
        reject(new Error("Stripe.js could not be loaded. Check the connection and reload the page."));
      });
    });
  }
  return loading;
}

async function client(publishableKey) {
  const Stripe = await loadStripe();
  if (!clients.has(publishableKey)) {
    clients.set(publishableKey, Stripe(publishableKey));
  }
  return clients.get(publishableKey);
}

const idOf = (value) => (typeof value === "string" ? value : value && value.id) || null;
const messageOf = (error) => (error && error.message) || "Something went wrong. Try again.";

export async function mount(id, publishableKey, clientSecret, kind) {
  try {
    const stripe = await client(publishableKey);
    const entry = { stripe, clientSecret, kind };
    if (kind === "Card") {
      const container = document.getElementById(id);
      if (!container) {
        return { ok: false, error: "The card form is not on the page any more." };
      }
      entry.elements = stripe.elements({ clientSecret });
      // The name is typed in the portal's own field and sent with the confirmation.
      entry.element = entry.elements.create("payment", { fields: { billingDetails: { name: "never" } } });
      entry.element.mount(container);
    }
    mounted.set(id, entry);
    return { ok: true };
  } catch (error) {
    return { ok: false, error: messageOf(error) };
  }
}

// The last four digits when Stripe returned the payment method expanded (it may return only its id).
function last4Of(paymentMethod) {
  if (!paymentMethod || typeof paymentMethod !== "object") {
    return null;
  }
  const details = paymentMethod.us_bank_account || paymentMethod.card;
  return details && typeof details.last4 === "string" ? details.last4 : null;
}

export async function confirm(id, billing) {
  const entry = mounted.get(id);
  if (!entry) {
    return { error: "The form is not ready yet." };
  }
  const billingDetails = { name: billing.name };
  if (billing.email) {
    billingDetails.email = billing.email;
  }
  try {
    if (entry.kind === "Card") {
      const result = await entry.stripe.confirmSetup({
        elements: entry.elements,
        redirect: "if_required",
        confirmParams: { return_url: window.location.href, payment_method_data: { billing_details: billingDetails } },
      });
      if (result.error) {
        return { error: messageOf(result.error) };
      }
      return { paymentMethodId: idOf(result.setupIntent.payment_method), last4: last4Of(result.setupIntent.payment_method) };
    }
    const result = await entry.stripe.collectBankAccountForSetup({
      clientSecret: entry.clientSecret,
      params: { payment_method_type: "us_bank_account", payment_method_data: { billing_details: billingDetails } },
    });
    if (result.error) {
      return { error: messageOf(result.error) };
    }
    if (!result.setupIntent || result.setupIntent.status === "requires_payment_method") {
      return { error: "No bank account was linked. Continue to try again." };
    }
    return { paymentMethodId: idOf(result.setupIntent.payment_method), last4: last4Of(result.setupIntent.payment_method) };
  } catch (error) {
    return { error: messageOf(error) };
  }
}

export async function handleNextAction(publishableKey, clientSecret) {
  try {
    const stripe = await client(publishableKey);
    const result = await stripe.handleNextAction({ clientSecret });
    if (result.error) {
      return { completed: false, error: messageOf(result.error) };
    }
    return { completed: true };
  } catch (error) {
    return { completed: false, error: messageOf(error) };
  }
}

export function unmount(id) {
  const entry = mounted.get(id);
  if (entry && entry.element) {
    entry.element.destroy();
  }
  mounted.delete(id);
}

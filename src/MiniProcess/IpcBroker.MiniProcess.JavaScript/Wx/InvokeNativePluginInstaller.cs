using System.Text.Json.Nodes;
using IpcBroker.OpenApi;
using Jint;
using Jint.Native;
using Jint.Native.Function;
using Jint.Native.Json;
using Jint.Native.Object;
using Jint.Runtime;
using Jint.Runtime.Interop;
using Microsoft.Extensions.Options;

namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>
/// Adds <c>wx.invokeNativePlugin({api_name, data, success, fail, complete, onState})</c>: runs the JS plugin handler of
/// <c>api_name</c> and brings its states and final answer back to the JavaScript thread.
/// </summary>
/// <param name="registry">The handlers.</param>
/// <param name="options">The bounds; <see cref="JavaScriptOptions.NativePluginTimeout"/> is each call's deadline.</param>
internal sealed class InvokeNativePluginInstaller(JsPluginRegistry registry, IOptions<JavaScriptOptions> options) : IJsGlobalInstaller
{
    private const string Api = "invokeNativePlugin";

    /// <inheritdoc/>
    public void Install(JsInstallContext context)
    {
        var calls = new Calls(context, registry, options.Value.NativePluginTimeout);
        context.Wx.Set(Api, new ClrFunction(context.Engine, Api, (_, arguments) => calls.Call(arguments.At(0))));
    }

    /// <summary>The custom API calls of one mini program.</summary>
    /// <param name="context">The mini program's engine, thread and context.</param>
    /// <param name="registry">The handlers.</param>
    /// <param name="timeout">How long a handler may take to answer.</param>
    private sealed class Calls(JsInstallContext context, JsPluginRegistry registry, TimeSpan timeout)
    {
        private readonly JsonSerializer serializer = new(context.Engine);
        private readonly JsonParser parser = new(context.Engine);

        public JsInstallContext Context => context;

        /// <summary>Runs a call; on the JavaScript thread.</summary>
        /// <param name="options">The mini program's options object.</param>
        /// <returns><c>res</c> when the handler answered with OkSync while it ran, else the Promise or undefined.</returns>
        public JsValue Call(JsValue options)
        {
            WxReply reply = WxReply.For(context.Engine, options);
            var o = options as ObjectInstance;
            var call = new PendingCall(this, reply, o?.Get("onState") as Function);
            JsValue apiName = o?.Get("api_name") ?? JsValue.Undefined;
            if (!apiName.IsString())
            {
                call.Final(new JsPluginAnswer(false, null, "api_name must be a string.", OpenApiErrno.BadParameters, Sync: false));
                return reply.Returned;
            }

            string name = apiName.AsString();
            if (!registry.TryGet(name, out JsPluginHandler? handler))
            {
                call.Final(new JsPluginAnswer(false, null, $"No JS plugin serves the api_name '{name}'.", OpenApiErrno.UnknownApi, Sync: false));
                return reply.Returned;
            }

            if (!this.TryReadData(o!.Get("data"), out JsonObject? data, out string? problem))
            {
                call.Final(new JsPluginAnswer(false, null, problem, OpenApiErrno.BadParameters, Sync: false));
                return reply.Returned;
            }

            var deadline = new Deadline(context.Stopping);
            var request = new JsPluginRequest(name, data, context.App, deadline.Token, call, context.Logger);
            call.Deadline = deadline;
            deadline.Start(timeout, request, handler);
            Task task;
            call.Running = true;
            try
            {
                task = handler.Invoke(request);
            }
            catch (Exception ex)
            {
                Failed(request, handler, ex);
                return reply.Returned;
            }
            finally
            {
                call.Running = false;
            }

            if (handler.IsAsync)
            {
                _ = AnswerWhenDoneAsync(request, handler, task);
            }

            return call.SyncResult ?? reply.Returned;
        }

        /// <summary>Turns the answer into <c>res</c> or <c>err</c>; on the JavaScript thread.</summary>
        public (bool Ok, JsValue Value) Build(JsPluginAnswer answer) => answer.IsOk
            ? (true, WxResults.Ok(context.Engine, Api, answer.ResultJson is null ? JsValue.Undefined : this.parser.Parse(answer.ResultJson)))
            : (false, WxResults.Fail(context.Engine, Api, answer.Message, answer.Errno));

        /// <summary>Parses a state; on the JavaScript thread.</summary>
        public JsValue Parse(string json) => this.parser.Parse(json);

        private static void Failed(JsPluginRequest request, JsPluginHandler handler, Exception ex)
        {
            if (request.TryFail($"The handler of {request.ApiName} failed.", OpenApiErrno.InternalError))
            {
                WxLog.HandlerThrew(request.LoggerForFramework, ex, request.ApiName, handler.Method);
            }
            else
            {
                WxLog.HandlerThrewAfterAnswer(request.LoggerForFramework, ex, request.ApiName, handler.Method);
            }
        }

        private static async Task AnswerWhenDoneAsync(JsPluginRequest request, JsPluginHandler handler, Task task)
        {
            try
            {
                await task.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Failed(request, handler, ex);
                return;
            }

            if (request.TryFail($"The handler of {request.ApiName} gave no answer.", OpenApiErrno.InternalError))
            {
                WxLog.HandlerGaveNoAnswer(request.LoggerForFramework, request.ApiName, handler.Method);
            }
        }

        private bool TryReadData(JsValue data, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out JsonObject? result, out string? problem)
        {
            problem = null;
            if (data.IsNull() || data.IsUndefined())
            {
                result = [];
                return true;
            }

            result = null;
            if (data is not ObjectInstance || data.IsArray() || data is Function)
            {
                problem = "data must be an object.";
                return false;
            }

            try
            {
                result = JsonNode.Parse(this.serializer.Serialize(data).ToString()) as JsonObject;
            }
            catch (Exception ex) when (ex is JavaScriptException or System.Text.Json.JsonException)
            {
                problem = $"data cannot be written as JSON: {ex.Message}";
                return false;
            }

            if (result is null)
            {
                problem = "data must be an object.";
                return false;
            }

            return true;
        }
    }

    /// <summary>One pending <c>wx.invokeNativePlugin</c> call: posts its states and final answer to the JavaScript thread.</summary>
    /// <param name="calls">The mini program's calls.</param>
    /// <param name="reply">The callbacks or the Promise.</param>
    /// <param name="onState">The mini program's <c>onState</c>, or null.</param>
    private sealed class PendingCall(Calls calls, WxReply reply, Function? onState) : IJsPluginReplies
    {
        /// <summary>Gets or sets a value indicating whether the handler runs synchronously on the JavaScript thread now.</summary>
        public bool Running { get; set; }

        /// <summary>Gets or sets the call's deadline, once the handler is to run.</summary>
        public Deadline? Deadline { get; set; }

        /// <summary>Gets <c>res</c> of an OkSync given while the handler ran, else null.</summary>
        public JsValue? SyncResult { get; private set; }

        /// <inheritdoc/>
        public void State(string stateJson)
        {
            if (onState is not null && !calls.Context.Thread.Post(() => calls.Context.Engine.Call(onState, JsValue.Undefined, [calls.Parse(stateJson)])))
            {
                WxLog.AnswerDropped(calls.Context.Logger, Api);
            }
        }

        /// <inheritdoc/>
        public void Final(JsPluginAnswer answer)
        {
            this.Deadline?.Answered();
            JsValue? built = null;
            if (answer.Sync && this.Running && calls.Context.Thread.IsCurrent)
            {
                // OkSync inside the handler: the call returns res now; the callbacks still run in a later task, with the same object.
                built = calls.Build(answer).Value;
                this.SyncResult = built;
            }

            if (!calls.Context.Thread.Post(() =>
            {
                (bool ok, JsValue value) = built is null ? calls.Build(answer) : (true, built);
                reply.Settle(ok, value);
            }))
            {
                WxLog.AnswerDropped(calls.Context.Logger, Api);
            }
        }
    }
    /// <summary>
    /// The deadline of one call whose handler runs: at the timeout the call fails with errno Timeout, then the request's
    /// token fires so the handler can stop; the mini program's end fires the token too. Which of the answer and the
    /// timeout comes first is decided once.
    /// </summary>
    /// <param name="stopping">Fires when the mini program ends.</param>
    private sealed class Deadline(CancellationToken stopping)
    {
        private const int Running = 0;
        private const int Done = 1;

        private readonly CancellationTokenSource cancellation = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        private Timer? timer;
        private int state;

        /// <summary>Gets the request's token.</summary>
        public CancellationToken Token => this.cancellation.Token;

        /// <summary>Starts the clock; before the handler runs.</summary>
        /// <param name="timeout">The deadline.</param>
        /// <param name="request">The request to fail at the deadline.</param>
        /// <param name="handler">Its handler, named in the log.</param>
        public void Start(TimeSpan timeout, JsPluginRequest request, JsPluginHandler handler)
        {
            var started = new Timer(_ => this.Expire(timeout, request, handler));
            lock (this.cancellation)
            {
                if (this.state != Running)
                {
                    started.Dispose();
                    return;
                }

                this.timer = started;
            }

            started.Change(timeout, Timeout.InfiniteTimeSpan);
        }

        /// <summary>The call was answered (by the handler or the framework): stops the clock; called under the request's lock.</summary>
        public void Answered()
        {
            if (Interlocked.CompareExchange(ref this.state, Done, Running) == Running)
            {
                this.Release();
            }
        }

        private void Expire(TimeSpan timeout, JsPluginRequest request, JsPluginHandler handler)
        {
            if (Interlocked.CompareExchange(ref this.state, Done, Running) != Running)
            {
                return;
            }

            if (request.TryFail($"{request.ApiName} gave no answer within {timeout.TotalMilliseconds:0} ms", OpenApiErrno.Timeout))
            {
                WxLog.HandlerTimedOut(request.LoggerForFramework, request.ApiName, handler.Method, timeout.TotalMilliseconds);
            }

            try
            {
                this.cancellation.Cancel();
            }
            catch (AggregateException ex)
            {
                // A callback the handler registered on its token threw: the call is answered already.
                WxLog.HandlerThrewAfterAnswer(request.LoggerForFramework, ex, request.ApiName, handler.Method);
            }

            this.Release();
        }

        private void Release()
        {
            lock (this.cancellation)
            {
                this.timer?.Dispose();
                this.timer = null;
            }

            // Also unhooks it from the mini program's token, so answered calls leave nothing behind; a handler that
            // registers on the token later gets a registration that never fires (the call is answered: nothing it sends counts).
            this.cancellation.Dispose();
        }
    }
}

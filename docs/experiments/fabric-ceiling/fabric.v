// Fabric-ceiling probe for iCE40 UP5K: central control -> 30 BRAM (256x16) + 2 SPRAM.
// One parameterised core; thin top modules (top_*.v) select the variant.
//   MODE  0 : central control drives every RAM's WE/addr/data in the same cycle
//   MODE  1 : distributed: per-RAM register copy of (state,cnt,ptr,wd) placed next to
//             the RAM; the WE/raddr decode is done locally from the copy
//   MODE  2 : distributed: central decode, then one per-RAM register (we, wa, ra, wd)
//             which drives the RAM directly
//   XLUT  3 : (MODE 0 only) 3 extra LUT levels (explicit SB_LUT4 chain) between the
//             state register and the shared write-run signal feeding all RAM enables
//   NRW   1 : infer the RAMs with (* no_rw_check *) (no collision-emulation logic)
//   NFILL   : number of independent 16-bit adder/LFSR filler blocks (utilisation)
`default_nettype none

module ram256x16 (
    input  wire        clk,
    input  wire        we,
    input  wire [7:0]  wa,
    input  wire [7:0]  ra,
    input  wire [15:0] wd,
    output reg  [15:0] rd
);
    reg [15:0] mem [0:255];
    always @(posedge clk) begin
        if (we) mem[wa] <= wd;
        rd <= mem[ra];
    end
endmodule

// same RAM with yosys' read/write-collision check disabled: without it yosys 0.23
// (memory_libmap) adds address-compare + write-data bypass logic to emulate the
// read-old-data behaviour of the pattern above, since SB_RAM40_4K leaves it undefined.
module ram256x16_nrw (
    input  wire        clk,
    input  wire        we,
    input  wire [7:0]  wa,
    input  wire [7:0]  ra,
    input  wire [15:0] wd,
    output reg  [15:0] rd
);
    (* no_rw_check *)
    reg [15:0] mem [0:255];
    always @(posedge clk) begin
        if (we) mem[wa] <= wd;
        rd <= mem[ra];
    end
endmodule

// W-bit register built from explicitly instantiated SB_DFF cells marked keep, so that
// yosys does not merge the 30 functionally identical per-RAM copies into one.
module dffk #(parameter W = 1) (input wire clk, input wire [W-1:0] d, output wire [W-1:0] q);
    genvar n;
    generate
        for (n = 0; n < W; n = n + 1) begin : g
            (* keep *) SB_DFF ff (.C(clk), .D(d[n]), .Q(q[n]));
        end
    endgenerate
endmodule

// 16-bit read data folded to 4 bits (XOR of 4 bits each), registered next to the RAM
module fold16 (input wire clk, input wire [15:0] d, output reg [3:0] q);
    always @(posedge clk)
        q <= d[3:0] ^ d[7:4] ^ d[11:8] ^ d[15:12];
endmodule

module fabric #(
    parameter MODE  = 0,
    parameter XLUT  = 0,
    parameter NFILL = 0,
    parameter NRW   = 0     // 1: RAMs inferred with (* no_rw_check *)
) (
    input  wire       clk,
    input  wire [3:0] din,
    output wire [7:0] dout
);
    localparam NR = 30;
    localparam S_IDLE = 3'd0, S_WR = 3'd1, S_RD = 3'd2, S_CHK = 3'd3, S_HOLD = 3'd4;

    // ---------------- central control ----------------
    reg  [3:0]  in_r;
    reg  [2:0]  state;
    reg  [7:0]  cnt;
    reg  [7:0]  ptr;
    reg  [15:0] wd;
    reg  [3:0]  mode;

    always @(posedge clk) begin
        in_r <= din;
        wd   <= {wd[14:0], wd[15] ^ wd[13] ^ wd[12] ^ wd[10] ^ in_r[0]};
        case (state)
            S_IDLE: begin
                cnt <= 8'd0;
                mode <= in_r;
                if (in_r[3]) state <= S_WR;
                else if (in_r[2]) state <= S_HOLD;
            end
            S_WR: begin
                cnt <= cnt + 8'd1;
                if (cnt == 8'hff) state <= S_RD;
            end
            S_RD: begin
                cnt <= cnt + 8'd1;
                ptr <= ptr + 8'd3;
                if (cnt == 8'hff) state <= S_CHK;
            end
            S_CHK: begin
                ptr <= ptr ^ {in_r, in_r};
                state <= mode[0] ? S_WR : S_IDLE;
            end
            S_HOLD: begin
                if (in_r[1]) state <= S_IDLE;
            end
            default: state <= S_IDLE;
        endcase
    end

    // shared "write run" signal, optionally through XLUT extra LUT levels
    wire run_wr0 = (state == S_WR);
    wire run_rd  = (state == S_RD);
    wire run_wr;
    generate
        if (XLUT == 0) begin : g_nox
            assign run_wr = run_wr0;
        end else begin : g_x
            // explicit LUT chain: each level mixes in another control bit, so the
            // function is not reducible; SB_LUT4 instances are not re-synthesised by abc
            wire [XLUT:0] ch;
            // level 1: state decode itself in a LUT4 (state==S_WR) ^ (mode[1] & ... ) form
            // O = (state==S_WR & ~mode[1]) | (state==S_HOLD & mode[1])
            SB_LUT4 #(.LUT_INIT(16'h1002)) l0 (
                .O(ch[0]), .I0(state[0]), .I1(state[1]), .I2(state[2]), .I3(mode[1]));
            genvar x;
            for (x = 1; x <= XLUT; x = x + 1) begin : g_lv
                // O = I0 & (I1 | I2 ^ I3)  -- depends on all inputs
                SB_LUT4 #(.LUT_INIT(16'h8aa8)) lv (
                    .O(ch[x]), .I0(ch[x-1]), .I1(mode[2 + (x % 2)]), .I2(ptr[x]), .I3(cnt[7 - x]));
            end
            assign run_wr = ch[XLUT];
        end
    endgenerate

    // ---------------- 30 block RAMs ----------------
    wire [NR*4-1:0] fold;
    genvar i;
    generate
        for (i = 0; i < NR; i = i + 1) begin : g_ram
            wire        we_i;
            wire [7:0]  wa_i, ra_i;
            wire [15:0] wd_i, rd_i;
            if (MODE == 0) begin : g_c
                assign we_i = run_wr & (cnt[4:0] != i);
                assign wa_i = cnt;
                assign ra_i = run_rd ? ptr : cnt;
                assign wd_i = wd;
            end else if (MODE == 1) begin : g_d1
                wire [2:0]  l_state;
                wire [7:0]  l_cnt, l_ptr;
                wire [15:0] l_wd;
                dffk #(35) u_cp (.clk(clk), .d({state, cnt, ptr, wd}), .q({l_state, l_cnt, l_ptr, l_wd}));
                assign we_i = (l_state == S_WR) & (l_cnt[4:0] != i);
                assign wa_i = l_cnt;
                assign ra_i = (l_state == S_RD) ? l_ptr : l_cnt;
                assign wd_i = l_wd;
            end else begin : g_d2
                wire        r_we;
                wire [7:0]  r_wa, r_ra;
                wire [15:0] r_wd;
                dffk #(33) u_cp (.clk(clk), .d({run_wr & (cnt[4:0] != i), cnt, run_rd ? ptr : cnt, wd}),
                                 .q({r_we, r_wa, r_ra, r_wd}));
                assign we_i = r_we; assign wa_i = r_wa; assign ra_i = r_ra; assign wd_i = r_wd;
            end
            if (NRW) begin : g_nrw
                ram256x16_nrw u_ram (.clk(clk), .we(we_i), .wa(wa_i), .ra(ra_i), .wd(wd_i), .rd(rd_i));
            end else begin : g_rw
                ram256x16     u_ram (.clk(clk), .we(we_i), .wa(wa_i), .ra(ra_i), .wd(wd_i), .rd(rd_i));
            end
            fold16    u_fold (.clk(clk), .d(rd_i), .q(fold[i*4 +: 4]));
        end
    endgenerate

    // ---------------- 2 SPRAMs ----------------
    wire [31:0] sp_fold;
    generate
        for (i = 0; i < 2; i = i + 1) begin : g_sp
            wire        we_s;
            wire [13:0] a_s;
            wire [15:0] d_s, q_s;
            if (MODE == 1) begin : g_d1
                wire [2:0]  l_state;
                wire [7:0]  l_cnt, l_ptr;
                wire [15:0] l_wd;
                dffk #(35) u_cp (.clk(clk), .d({state, cnt, ptr, wd}), .q({l_state, l_cnt, l_ptr, l_wd}));
                assign we_s = (l_state == S_WR) & (l_ptr[i] ^ l_cnt[7]);
                assign a_s  = {l_ptr[5:0], l_cnt};
                assign d_s  = l_wd;
            end else if (MODE == 2) begin : g_d2
                wire        r_we;
                wire [13:0] r_a;
                wire [15:0] r_d;
                dffk #(31) u_cp (.clk(clk), .d({run_wr & (ptr[i] ^ cnt[7]), ptr[5:0], cnt, wd}),
                                 .q({r_we, r_a, r_d}));
                assign we_s = r_we; assign a_s = r_a; assign d_s = r_d;
            end else begin : g_c
                assign we_s = run_wr & (ptr[i] ^ cnt[7]);
                assign a_s  = {ptr[5:0], cnt};
                assign d_s  = wd;
            end
            SB_SPRAM256KA u_sp (
                .ADDRESS(a_s), .DATAIN(d_s), .MASKWREN(4'b1111), .WREN(we_s),
                .CHIPSELECT(1'b1), .CLOCK(clk), .STANDBY(1'b0), .SLEEP(1'b0),
                .POWEROFF(1'b1), .DATAOUT(q_s));
            reg [15:0] q_r;
            always @(posedge clk) q_r <= q_s;
            assign sp_fold[i*16 +: 16] = q_r;
        end
    endgenerate

    // ---------------- pipelined XOR reduction of all RAM outputs ----------------
    // 120 fold bits -> 30 groups of 4 (XOR of 4 RAMs... done bitwise) -> ...
    reg [31:0] r1;   // 8 groups of 4 RAMs x 4 bits (last group has 2 RAMs)
    reg [7:0]  r2;
    reg [3:0]  r3;
    reg [15:0] s1;
    reg [3:0]  s2;
    integer g, b;
    always @(posedge clk) begin
        for (g = 0; g < 8; g = g + 1)
            for (b = 0; b < 4; b = b + 1)
                r1[g*4+b] <= fold[(g*4+0)*4+b] ^ fold[(g*4+1)*4+b] ^
                             ((g*4+2) < NR ? fold[((g*4+2)%NR)*4+b] : 1'b0) ^
                             ((g*4+3) < NR ? fold[((g*4+3)%NR)*4+b] : 1'b0);
        for (g = 0; g < 2; g = g + 1)
            for (b = 0; b < 4; b = b + 1)
                r2[g*4+b] <= r1[(g*4+0)*4+b] ^ r1[(g*4+1)*4+b] ^ r1[(g*4+2)*4+b] ^ r1[(g*4+3)*4+b];
        r3 <= r2[3:0] ^ r2[7:4];
        s1 <= sp_fold[15:0] ^ sp_fold[31:16];
        s2 <= s1[3:0] ^ s1[7:4] ^ s1[11:8] ^ s1[15:12];
    end

    // ---------------- optional filler: independent adder/LFSR network ----------------
    wire [3:0] fill_out;
    generate
        if (NFILL == 0) begin : g_nofill
            assign fill_out = 4'b0;
        end else begin : g_fill
            wire [NFILL*4-1:0] ff4;
            genvar k;
            for (k = 0; k < NFILL; k = k + 1) begin : g_blk
                reg [15:0] lf, acc;
                reg [3:0]  f4;
                always @(posedge clk) begin
                    lf  <= {lf[14:0], lf[15] ^ lf[(k % 11) + 2] ^ lf[(k % 5)] ^ in_r[k % 4]};
                    acc <= acc + (lf ^ (16'h9e37 * (k + 1)));
                    f4  <= acc[3:0] ^ acc[7:4] ^ acc[11:8] ^ acc[15:12];
                end
                assign ff4[k*4 +: 4] = f4;
            end
            // pipelined XOR tree over blocks, 4 inputs per LUT per level
            localparam L1 = (NFILL + 3) / 4;
            localparam L2 = (L1 + 3) / 4;
            localparam L3 = (L2 + 3) / 4;
            reg [L1*4-1:0] c1, t1;
            reg [L2*4-1:0] c2, t2;
            reg [L3*4-1:0] c3, t3;
            reg [3:0]      c4, t4;
            integer m, n, j, bb;
            always @* begin
                c1 = 0; c2 = 0; c3 = 0; c4 = 0;
                for (m = 0; m < L1; m = m + 1)
                    for (j = 0; j < 4; j = j + 1)
                        if (m*4+j < NFILL) c1[m*4 +: 4] = c1[m*4 +: 4] ^ ff4[(m*4+j)*4 +: 4];
                for (m = 0; m < L2; m = m + 1)
                    for (j = 0; j < 4; j = j + 1)
                        if (m*4+j < L1) c2[m*4 +: 4] = c2[m*4 +: 4] ^ t1[(m*4+j)*4 +: 4];
                for (m = 0; m < L3; m = m + 1)
                    for (j = 0; j < 4; j = j + 1)
                        if (m*4+j < L2) c3[m*4 +: 4] = c3[m*4 +: 4] ^ t2[(m*4+j)*4 +: 4];
                for (n = 0; n < L3; n = n + 1) c4 = c4 ^ t3[n*4 +: 4];
            end
            always @(posedge clk) begin
                t1 <= c1; t2 <= c2; t3 <= c3; t4 <= c4;
            end
            assign fill_out = t4;
        end
    endgenerate

    reg [7:0] out_r;
    always @(posedge clk) out_r <= {r3 ^ fill_out, s2};
    assign dout = out_r;
endmodule
